"""Views of visit records: each persona × each view, idempotent resubmission, bad input."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from homevisits.models import FollowUp, Trip, VisitDraft, VisitPhoto, VisitRecord
from homevisits.services import records as services
from homevisits.tests.factories import TripFactory, plan
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

PERSONAS = [
    "student",
    "liaison",
    "committee",
    "station",
    "counselor",
    "assessor",
    "aidreviewer",
    "aidofficer",
    "visitor",
    "admin",
]


def _post_data(key: uuid.UUID | None = None, **overrides: object) -> dict:
    data = {
        "idempotency_key": str(key or uuid.uuid4()),
        "outcome": "visited",
        "family_agreed": "on",
        "visited_on": timezone.localdate().isoformat(),
        "form": "home",
        "place": "家中",
        "family_members": "父母和弟弟",
        "gift_amount": "200.00",
        "needs": ["financial"],
        "summary": "概况良好",
    }
    data.update(overrides)
    return data


@pytest.fixture
def scene(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    today = timezone.localdate()
    trip = TripFactory(leader=world["visitor"], status=Trip.Status.TRAVELLING, starts_on=today - timedelta(days=1))
    ts = plan(trip, world.student_b)  # the form's student
    ts_a = plan(trip, world.student_a)  # already recorded
    record, _ = services.visit_record_create(
        actor=world["visitor"],
        trip_student=ts_a,
        data={"visited_on": today, "summary": "隐私内容", "needs": ["health"]},
        idempotency_key=uuid.uuid4(),
    )
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    photo = services.visit_photo_add(
        actor=world["visitor"], record=record, upload=SimpleUploadedFile("p.png", out.getvalue()), consent=True
    )
    follow_up = services.follow_up_add(
        actor=world["visitor"],
        record=record,
        kind="task",
        title="寄送资料",
        note="",
        owner=world["station"],
        due_on=today,
    )
    return {"trip": trip, "ts": ts, "record": record, "photo": photo, "follow_up": follow_up}


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    return SimpleUploadedFile("x.png", out.getvalue(), content_type="image/png")


# Expected status per persona for each view. Team member = "visitor" (the leader); the office = aid officer.
EXPECT = {
    "record_new_get": {"visitor": 200, "admin": 200, "aidofficer": 403},
    "record_detail": {"visitor": 200, "admin": 200, "aidofficer": 200},
    "photo": {"visitor": 200, "admin": 200, "aidofficer": 200},
    "draft_save": {"visitor": 200, "admin": 200, "aidofficer": 403},
    "photo_add": {"visitor": 302, "admin": 302, "aidofficer": 403},
    "follow_up_add": {"visitor": 302, "admin": 302, "aidofficer": 403},
    "follow_up_done": {"visitor": 302, "admin": 302, "aidofficer": 302, "station": 302},
    "my_follow_ups": dict.fromkeys(PERSONAS, 200),
}


def _call(client, name: str, scene: dict):
    ts, record, photo, follow_up = scene["ts"], scene["record"], scene["photo"], scene["follow_up"]
    if name == "record_new_get":
        return client.get(reverse("homevisits:record_new", args=[ts.pk]))
    if name == "record_detail":
        return client.get(reverse("homevisits:record_detail", args=[record.pk]))
    if name == "photo":
        return client.get(reverse("homevisits:photo", args=[photo.pk]))
    if name == "draft_save":
        return client.post(reverse("homevisits:draft_save", args=[ts.pk]), {"summary": "草稿"})
    if name == "photo_add":
        return client.post(reverse("homevisits:photo_add", args=[record.pk]), {"image": _png(), "consent": "on"})
    if name == "follow_up_add":
        return client.post(
            reverse("homevisits:follow_up_add", args=[record.pk]),
            {
                "kind": "task",
                "title": "回访",
                "owner": scene["trip"].leader_id,
                "due_on": timezone.localdate().isoformat(),
            },
        )
    if name == "follow_up_done":
        return client.post(reverse("homevisits:follow_up_done", args=[follow_up.pk]))
    if name == "my_follow_ups":
        return client.get(reverse("homevisits:my_follow_ups"))
    raise AssertionError(name)


@pytest.mark.parametrize("view", list(EXPECT))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_each_view(world, client_for, scene, view, persona):
    response = _call(client_for(world[persona]), view, scene)
    assert response.status_code == EXPECT[view].get(persona, 404), (persona, view)


def test_anonymous_is_sent_to_login(client, scene):
    for name in ("record_detail", "my_follow_ups", "photo"):
        response = _call(client, name, scene)
        assert response.status_code == 302 and "login" in response["Location"]


def test_wrong_methods_are_405(world, client_for, scene):
    client = client_for(world["visitor"])
    assert client.get(reverse("homevisits:draft_save", args=[scene["ts"].pk])).status_code == 405
    assert client.get(reverse("homevisits:follow_up_done", args=[scene["follow_up"].pk])).status_code == 405
    assert client.post(reverse("homevisits:record_detail", args=[scene["record"].pk])).status_code == 405


def test_members_of_another_trip_see_nothing(world, client_for, scene):
    from portal.models import Role
    from portal.tests.factories import StaffFactory, UserFactory, grant

    other = StaffFactory(user=UserFactory(username="other_visitor")).user
    grant(other, Role.VISIT_TEAM)
    TripFactory(leader=other, status=Trip.Status.TRAVELLING)
    client = client_for(other)
    for name in ("record_new_get", "record_detail", "photo", "draft_save", "photo_add", "follow_up_add"):
        assert _call(client, name, scene).status_code == 404, name


def test_a_trip_member_may_write_and_the_record_read_is_audited(world, client_for, scene):
    from portal.models import Role
    from portal.tests.factories import StaffFactory, UserFactory, grant

    member = StaffFactory(user=UserFactory(username="member")).user
    grant(member, Role.VISIT_TEAM)
    scene["trip"].members.add(member)
    client = client_for(member)
    assert client.get(reverse("homevisits:record_new", args=[scene["ts"].pk])).status_code == 200
    before = AuditEvent.objects.filter(action="read").count()
    response = client.get(reverse("homevisits:record_detail", args=[scene["record"].pk]))
    assert response.status_code == 200 and "隐私内容" in response.content.decode()
    assert AuditEvent.objects.filter(action="read").count() == before + 1


def test_follow_up_owner_sees_the_follow_up_but_not_the_narrative(world, client_for, scene):
    client = client_for(world["station"])
    page = client.get(reverse("homevisits:my_follow_ups")).content.decode()
    assert "寄送资料" in page and "隐私内容" not in page
    assert reverse("homevisits:record_detail", args=[scene["record"].pk]) not in page
    assert client.get(reverse("homevisits:record_detail", args=[scene["record"].pk])).status_code == 404


def test_a_resubmitted_form_creates_one_record(world, client_for, scene):
    client = client_for(world["visitor"])
    url = reverse("homevisits:record_new", args=[scene["ts"].pk])
    data = _post_data()
    first = client.post(url, data)
    second = client.post(url, data)
    record = VisitRecord.objects.get(student=world.student_b)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("homevisits:record_detail", args=[record.pk])
    assert VisitRecord.objects.filter(student=world.student_b).count() == 1
    assert record.family_members == "父母和弟弟"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gift_amount", "abc"),
        ("gift_amount", "-1"),
        ("gift_amount", "2000.01"),
        ("summary", "长" * 100_000),
        ("summary", "bad\x00text"),
        ("visited_on", "not a date"),
        ("needs", ["gold"]),
        ("outcome", "maybe"),
        ("family_agreed", ""),
        ("idempotency_key", "not-a-uuid"),
    ],
)
def test_bad_input_shows_a_message_and_saves_nothing(world, client_for, scene, field, value):
    client = client_for(world["visitor"])
    response = client.post(reverse("homevisits:record_new", args=[scene["ts"].pk]), _post_data(**{field: value}))
    assert response.status_code == 400
    assert "The record was not saved" in response.content.decode()
    assert not VisitRecord.objects.filter(student=world.student_b).exists()


def test_the_gift_limit_message_names_the_limit(world, client_for, scene):
    client = client_for(world["visitor"])
    response = client.post(reverse("homevisits:record_new", args=[scene["ts"].pk]), _post_data(gift_amount="2500"))
    assert "limited to 2000.00 yuan per household" in response.content.decode()


def test_a_fake_photo_is_refused_with_a_message(world, client_for, scene):
    client = client_for(world["visitor"])
    count = VisitPhoto.objects.count()
    fake = SimpleUploadedFile("evil.jpg", b"MZ\x90\x00 this is an exe", content_type="image/jpeg")
    response = client.post(
        reverse("homevisits:photo_add", args=[scene["record"].pk]), {"image": fake, "consent": "on"}, follow=True
    )
    assert "Upload a JPEG or PNG photo." in response.content.decode()
    response = client.post(reverse("homevisits:photo_add", args=[scene["record"].pk]), {"image": _png()}, follow=True)
    assert "family agreed" in response.content.decode()
    assert VisitPhoto.objects.count() == count


def test_drafts_are_only_the_authors(world, client_for, scene):
    from portal.models import Role
    from portal.tests.factories import StaffFactory, UserFactory, grant

    client = client_for(world["visitor"])
    url = reverse("homevisits:draft_save", args=[scene["ts"].pk])
    response = client.post(
        url, json.dumps({"summary": "我的草稿", "idempotency_key": "k"}), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["ok"]
    member = StaffFactory(user=UserFactory(username="member2")).user
    grant(member, Role.VISIT_TEAM)
    scene["trip"].members.add(member)
    page = client_for(member).get(reverse("homevisits:record_new", args=[scene["ts"].pk])).content.decode()
    assert "我的草稿" not in page
    assert (
        client_for(world["visitor"])
        .get(reverse("homevisits:record_new", args=[scene["ts"].pk]))
        .content.decode()
        .count("我的草稿")
        == 1
    )
    assert VisitDraft.objects.get().author == world["visitor"]
    bad = client_for(world["visitor"]).post(url, "[1,2]", content_type="application/json")
    assert bad.status_code == 400
    nul = client_for(world["visitor"]).post(url, {"summary": "a\x00b"})
    assert nul.status_code == 400


@pytest.mark.any_day
def test_follow_up_add_with_bad_input(world, client_for, scene):
    client = client_for(world["visitor"])
    url = reverse("homevisits:follow_up_add", args=[scene["record"].pk])
    count = FollowUp.objects.count()
    for data in (
        {"kind": "task", "title": "x", "owner": world["student"].pk, "due_on": timezone.localdate().isoformat()},
        {"kind": "nope", "title": "x", "owner": world["visitor"].pk, "due_on": timezone.localdate().isoformat()},
        {"kind": "task", "title": "x", "owner": world["visitor"].pk, "due_on": "2000-01-01"},
        {"kind": "referral", "title": "x", "owner": world["visitor"].pk, "due_on": timezone.localdate().isoformat()},
    ):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "alert" in response.content.decode()
    assert FollowUp.objects.count() == count
