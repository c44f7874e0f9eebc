"""One display mapping: codes shown by their label, people by their name, never a raw code or a login name."""

import io
import logging

import pytest
from django.template import Context, Template
from django.utils import translation
from openpyxl import Workbook, load_workbook

from aid.models.identification import Identification, IdentificationEvent
from homevisits.models import VisitRecord
from portal.kernel.display import RawCodeError, choice_label, code_label, person_label, person_name
from portal.kernel.spreadsheets import append_row, workbook_bytes
from portal.models import Student, User
from portal.tests.factories import ClassGroupFactory, StaffFactory, StudentFactory, UserFactory
from portal.tests.shown_words import choice_codes, shown_faults, workbook_faults

pytestmark = pytest.mark.django_db


def test_a_field_with_choices_shows_its_label_in_the_users_language():
    with translation.override("en"):
        assert choice_label(Student, "status", "leave") == "on leave"
    with translation.override("zh-hans"):
        assert choice_label(Student, "status", "leave") != "leave"


def test_a_timeline_row_borrows_its_subjects_status_labels():
    event = IdentificationEvent(to_status=Identification.Status.CLASS_REVIEWED, from_status="submitted")
    label = str(Identification.Status.CLASS_REVIEWED.label)
    assert choice_label(event, "to_status") == label
    rendered = Template('{% load display %}{{ event|display:"to_status" }}').render(Context({"event": event}))
    assert rendered == label and "class_reviewed" not in rendered


def test_a_code_without_a_label_raises_in_tests_and_is_logged_elsewhere(settings, caplog):
    with pytest.raises(RawCodeError):
        choice_label(Student, "status", "expelled")
    with pytest.raises(RawCodeError):
        code_label(VisitRecord.Need, "tuition")
    settings.DISPLAY_STRICT = False
    with caplog.at_level(logging.ERROR, logger="portal.display"):
        assert choice_label(Student, "status", "expelled") == "expelled"
    assert "no label for Student.status = 'expelled'" in caplog.text


def test_empty_values_show_nothing():
    assert choice_label(Student, "status", "") == "" and code_label(VisitRecord.Need, None) == ""


def test_people_are_named_never_by_login_name():
    staff = StaffFactory(name="刘晓燕", unit="心理健康教育中心", user__username="station")
    assert person_name(staff.user) == "刘晓燕" and str(staff.user) == "刘晓燕"
    assert person_label(staff.user) == "刘晓燕 (心理健康教育中心)"
    staff.user.full_name = ""
    assert person_name(staff.user) == "刘晓燕"  # the roster's name
    bare = UserFactory(username="visitor", full_name="")
    assert person_name(bare) == f"account #{bare.pk}" and "visitor" not in str(bare)
    assert person_name(None) == ""


def test_a_students_label_carries_the_class():
    student = StudentFactory(name="王芳", class_group=ClassGroupFactory(name="软件2401班"))
    user = User.objects.select_related("student__class_group").get(pk=student.user_id)
    assert person_label(user) == "王芳 (软件2401班)"


def test_the_page_check_finds_codes_and_login_names_in_visible_text_only():
    html = '<p>college_reviewed · aidofficer</p><script>var s="draft";</script><a href="/x/draft/">x</a>'
    assert shown_faults("/", html, language="en") == ["code college_reviewed", "login aidofficer"]
    assert shown_faults("/", "<p>草稿 · draft</p>", language="zh-hans") == ["code draft"]
    assert "draft" not in choice_codes("en")  # its own English label


def test_the_workbook_check_finds_codes_and_login_names():
    workbook = Workbook()
    append_row(workbook.active, ["王芳", "not_reached", "aidofficer"])
    faults = workbook_faults(load_workbook(io.BytesIO(workbook_bytes(workbook))), language="en")
    assert faults == ["code not_reached", "login aidofficer"]
