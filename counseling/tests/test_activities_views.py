"""Each persona × each view of events, coverage and the journal: the expected status, never a 500.

Objects: an event for college A (by its station) with student_a signed up, an event for college B, a
published journal issue and a draft one, each with an article and an image.
"""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from counseling import services
from counseling.models import Event
from counseling.services.activities import EventData

pytestmark = pytest.mark.django_db

PERSONAS = [
    "student",
    "liaison",
    "committee",
    "station",
    "station_b",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
]
STUDENTS_A = {"student", "liaison", "committee"}
MANAGERS = {"station", "station_b", "counselor", "admin"}
EDITORS = {"counselor", "admin"}


def _event(actor, college):
    now = timezone.now()
    return services.event_create(
        actor=actor,
        data=EventData(
            title=f"团辅 {college.code}",
            kind=Event.Kind.GROUP,
            description="",
            audience=Event.Audience.COLLEGES,
            colleges=[college],
            enrolment_years=[],
            invited=[],
            place="团辅室",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=2),
            capacity=10,
            signup_opens_at=now - timedelta(hours=1),
            signup_closes_at=now + timedelta(days=1),
        ),
    )


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    return SimpleUploadedFile("a.png", buffer.getvalue(), "image/png")


@pytest.fixture
def objects(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    event_a = _event(world["station"], world.college_a)
    event_b = _event(world["station_b"], world.college_b)
    services.event_signup(student=world.student_a, event=event_a)
    out = {"event_a": event_a, "event_b": event_b}
    for name, number in (("published", 1), ("draft", 2)):
        issue = services.journal_issue_save(actor=world["counselor"], issue=None, title=name, number=number)
        article = services.journal_article_save(
            actor=world["counselor"], issue=issue, article=None, title=name, author="", body="<p>x</p>"
        )
        image = services.journal_image_upload(actor=world["counselor"], issue=issue, upload=_png())
        out |= {f"{name}_issue": issue, f"{name}_article": article, f"{name}_image": image}
    services.journal_issue_publish(actor=world["counselor"], issue=out["published_issue"])
    return out


def _views(world, o):
    """(label, url, method, expected(persona) -> status)."""
    a, b = o["event_a"], o["event_b"]
    sees_a = STUDENTS_A | {"station", "counselor", "admin"}
    sees_b = {"station_b", "counselor", "admin"}
    manages_a = {"station", "counselor", "admin"}

    def event_view(event_sees, allowed, ok=200):
        return lambda p: (ok if p in allowed else 403) if p in event_sees else 404

    views = [
        ("event_list", reverse("counseling:event_list"), "get", lambda p: 200),
        ("event_new", reverse("counseling:event_new"), "get", lambda p: 200 if p in MANAGERS else 403),
        ("event_a", reverse("counseling:event_detail", args=[a.pk]), "get", event_view(sees_a, sees_a)),
        ("event_b", reverse("counseling:event_detail", args=[b.pk]), "get", event_view(sees_b, sees_b)),
        ("event_edit", reverse("counseling:event_edit", args=[a.pk]), "get", event_view(sees_a, manages_a)),
        ("event_checkin", reverse("counseling:event_checkin", args=[a.pk]), "get", event_view(sees_a, manages_a)),
        ("event_b_checkin", reverse("counseling:event_checkin", args=[b.pk]), "get", event_view(sees_b, sees_b)),
        ("event_signup", reverse("counseling:event_signup", args=[a.pk]), "post", event_view(sees_a, STUDENTS_A, 302)),
        (
            "event_signup_cancel",
            reverse("counseling:event_signup_cancel", args=[a.pk]),
            "post",
            event_view(sees_a, STUDENTS_A, 302),
        ),
        (
            "event_code",
            reverse("counseling:event_checkin_code", args=[a.pk]),
            "post",
            event_view(sees_a, STUDENTS_A, 302),
        ),
        (
            "event_b_signup",
            reverse("counseling:event_signup", args=[b.pk]),
            "post",
            event_view(sees_b, set(), 302),
        ),
        (
            "event_checkin_mark",
            reverse("counseling:event_checkin_mark", args=[a.pk, world.student_a.pk]),
            "post",
            event_view(sees_a, manages_a, 302),
        ),
        (
            "event_checkin_undo",
            reverse("counseling:event_checkin_undo", args=[a.pk, world.student_a.pk]),
            "post",
            event_view(sees_a, manages_a, 302),
        ),
        ("event_cancel", reverse("counseling:event_cancel", args=[b.pk]), "post", event_view(sees_b, sees_b, 302)),
        ("coverage", reverse("counseling:coverage"), "get", lambda p: 200 if p in MANAGERS else 403),
        (
            "coverage_college_a",
            reverse("counseling:coverage_college", args=[world.college_a.pk]),
            "get",
            lambda p: 200 if p in {"station", "counselor", "admin"} else 404 if p == "station_b" else 403,
        ),
        ("coverage_export", reverse("counseling:coverage_export"), "get", lambda p: 200 if p in MANAGERS else 403),
        ("journal_list", reverse("counseling:journal_list"), "get", lambda p: 200),
        ("journal_new", reverse("counseling:journal_issue_new"), "get", lambda p: 200 if p in EDITORS else 403),
    ]
    for name in ("published", "draft"):
        issue, article, image = o[f"{name}_issue"], o[f"{name}_article"], o[f"{name}_image"]

        def read(p, name=name):
            return 200 if name == "published" or p in EDITORS else 404

        def edit(p, name=name, ok=200):
            return ok if p in EDITORS else 403 if name == "published" else 404

        views += [
            (f"{name}_issue", reverse("counseling:journal_issue", args=[issue.pk]), "get", read),
            (f"{name}_article", reverse("counseling:journal_article", args=[article.pk]), "get", read),
            (f"{name}_image", reverse("counseling:journal_image", args=[image.pk]), "get", read),
            (f"{name}_issue_edit", reverse("counseling:journal_issue_edit", args=[issue.pk]), "get", edit),
            (f"{name}_article_new", reverse("counseling:journal_article_new", args=[issue.pk]), "get", edit),
            (f"{name}_article_edit", reverse("counseling:journal_article_edit", args=[article.pk]), "get", edit),
            (
                f"{name}_publish",
                reverse("counseling:journal_issue_publish", args=[issue.pk]),
                "post",
                lambda p, edit=edit: edit(p, ok=302),
            ),
            (
                f"{name}_image_upload",
                reverse("counseling:journal_image_upload", args=[issue.pk]),
                "post",
                lambda p, edit=edit: edit(p, ok=302),
            ),
        ]
    return views


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_expected_status_on_each_view(world, client_for, objects, persona):
    client = client_for(world[persona])
    failures = []
    for label, url, method, expected in _views(world, objects):
        response = getattr(client, method)(url)
        if response.status_code != expected(persona):
            failures.append((label, response.status_code, expected(persona)))
    assert failures == []


def test_signed_out_visitors_are_sent_to_sign_in(world, client, objects):
    for label, url, method, _expected in _views(world, objects):
        response = getattr(client, method)(url)
        assert response.status_code == 302, label
        assert "/login" in response["Location"] or "login" in response["Location"], label


def test_wrong_methods_get_405(world, client_for, objects):
    client = client_for(world["admin"])
    for label, url, method, _expected in _views(world, objects):
        if method == "post":
            assert client.get(url).status_code == 405, label
        elif "new" not in label and "edit" not in label:
            assert client.post(url).status_code == 405, label
