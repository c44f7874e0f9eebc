"""Who sees which students: each role against objects in and out of its scope."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from portal import access
from portal.models import AuditEvent, Student

pytestmark = pytest.mark.django_db


def names(user) -> set[str]:
    return set(access.visible(user, Student).values_list("name", flat=True))


def test_a_student_sees_only_themself(world):
    assert names(world["student"]) == {"买买提·艾力"}


def test_station_counsellor_sees_their_college_only(world):
    seen = names(world["station"])
    assert "买买提·艾力" in seen and "李娜" in seen
    assert "王强" not in seen
    assert names(world["station_b"]) & {"买买提·艾力", "李娜"} == set()
    assert "王强" in names(world["station_b"])


def test_school_wide_roles_see_every_student(world):
    everyone = set(Student.objects.values_list("name", flat=True))
    for persona in ("counselor", "aidofficer", "admin"):
        assert names(world[persona]) == everyone, persona


def test_college_aid_reviewer_sees_their_college_only(world):
    seen = names(world["aidreviewer"])
    assert "李娜" in seen and "王强" not in seen


@pytest.mark.parametrize("persona", ["liaison", "committee", "assessor", "visitor"])
def test_student_roles_and_others_see_no_records_but_their_own(world, persona):
    user = world[persona]
    own = {user.student.name} if hasattr(user, "student") else set()
    assert names(user) == own


def test_liaison_picks_from_their_rooms_and_committee_from_their_class(world):
    liaison_picks = set(access.visible(world["liaison"], Student, action="pick").values_list("name", flat=True))
    assert {"买买提·艾力", "李娜"} <= liaison_picks
    assert "王强" not in liaison_picks
    committee_picks = set(access.visible(world["committee"], Student, action="pick").values_list("name", flat=True))
    assert {"买买提·艾力", "李娜"} <= committee_picks
    assert "王强" not in committee_picks


def test_expired_role_assignment_grants_nothing(world):
    from datetime import date

    station = world["station"]
    station.role_assignments.update(valid_until=date(2020, 1, 1))
    access.forget_scopes(station)
    assert names(station) == set()


def test_get_for_user_is_404_outside_scope_and_403_when_action_not_allowed(world):
    reviewer = world["aidreviewer"]
    in_scope = world.student_a
    assert access.get_for_user(reviewer, Student, pk=in_scope.pk) == in_scope
    with pytest.raises(PermissionDenied):
        access.get_for_user(reviewer, Student, action="change_contact", pk=in_scope.pk)
    with pytest.raises(Http404):
        access.get_for_user(reviewer, Student, pk=world.student_b.pk)
    with pytest.raises(Http404):
        access.get_for_user(reviewer, Student, pk="not-a-number")


def test_reading_a_sensitive_record_is_audited(world):
    before = AuditEvent.objects.count()
    access.get_for_user(world["station"], Student, pk=world.student_a.pk)
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.object_type, event.object_id, event.actor) == (
        "read",
        "portal.student",
        str(world.student_a.pk),
        world["station"],
    )
