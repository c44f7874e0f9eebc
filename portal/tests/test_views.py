"""The core pages, tried by every persona, in both languages."""

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Notification

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


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_persona_gets_a_home_page_and_the_app_pages_in_both_languages(world, client_for, persona, language):
    client = client_for(world[persona])
    client.cookies["django_language"] = language
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert response["Content-Language"] == language
    for name in ("counseling:index", "aid:index", "portal:notifications"):
        assert client.get(reverse(name)).status_code == 200, name
    homevisits = client.get(reverse("homevisits:index")).status_code
    # Trip teams and the office; staff who keep guardian contact logs (station, centre, aid reviewer).
    assert homevisits == (
        200 if persona in {"visitor", "aidofficer", "admin", "station", "counselor", "aidreviewer"} else 403
    )


def test_pages_are_translated(world, client_for):
    client = client_for(world["station"])
    client.cookies["django_language"] = "zh-hans"
    assert "学生" in client.get(reverse("portal:student_list")).content.decode()
    client.cookies["django_language"] = "en"
    body = client.get(reverse("portal:student_list")).content.decode()
    assert "Student number" in body


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for name in ("portal:home", "portal:student_list", "portal:notifications", "counseling:index"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name


def test_navbar_shows_only_what_the_role_allows(world, client_for):
    student_page = client_for(world["student"]).get(reverse("portal:home")).content.decode()
    student_list_link = f'href="{reverse("portal:student_list")}"'
    assert student_list_link not in student_page
    assert f'href="{reverse("homevisits:index")}"' not in student_page
    station_page = client_for(world["station"]).get(reverse("portal:home")).content.decode()
    assert student_list_link in station_page


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("student", 403),
        ("liaison", 403),
        ("committee", 403),
        ("assessor", 403),
        ("visitor", 403),
        ("station", 200),
        ("counselor", 200),
        ("aidreviewer", 200),
        ("aidofficer", 200),
        ("admin", 200),
    ],
)
def test_student_list_is_for_staff_with_student_scope(world, client_for, persona, status):
    assert client_for(world[persona]).get(reverse("portal:student_list")).status_code == status


def test_student_list_shows_only_the_counsellors_college(world, client_for):
    body = client_for(world["station"]).get(reverse("portal:student_list")).content.decode()
    assert "买买提·艾力" in body and "李娜" in body
    assert "王强" not in body


def test_student_list_search_and_odd_filters_never_fail(world, client_for):
    client = client_for(world["counselor"])
    assert "王强" in client.get(reverse("portal:student_list"), {"q": "王"}).content.decode()
    for params in (
        {"q": "x" * 500},
        {"q": "a\x00b"},
        {"college": "abc"},
        {"class_group": "-1"},
        {"page": "999"},
        {"page": "nope"},
        {"q": "<script>alert(1)</script>"},
        {"q": "ئەخمەت 😀"},
    ):
        response = client.get(reverse("portal:student_list"), params)
        assert response.status_code == 200, params
        assert b"<script>alert(1)</script>" not in response.content


def test_student_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    from portal.tests.factories import StudentFactory

    client = client_for(world["counselor"])
    StudentFactory.create_batch(40, class_group=world.class_a)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("portal:student_list")).status_code == 200


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("student", 200),
        ("station", 200),
        ("counselor", 200),
        ("aidreviewer", 200),
        ("aidofficer", 200),
        ("admin", 200),
        ("station_b", 404),
        ("liaison", 404),
        ("committee", 404),
        ("assessor", 404),
        ("visitor", 404),
    ],
)
def test_student_profile_is_404_outside_scope(world, client_for, persona, status):
    url = reverse("portal:student_detail", args=[world.student_a.pk])
    assert client_for(world[persona]).get(url).status_code == status


def test_student_profile_shows_the_id_number_masked_and_audits_the_read(world, client_for):
    student = world.student_a
    before = AuditEvent.objects.filter(action="read", object_id=str(student.pk)).count()
    body = client_for(world["station"]).get(reverse("portal:student_detail", args=[student.pk])).content.decode()
    assert student.id_card_masked in body
    assert student.id_card_number not in body
    assert AuditEvent.objects.filter(action="read", object_id=str(student.pk)).count() == before + 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("student", 200),
        ("station", 200),
        ("counselor", 200),
        ("admin", 200),
        ("aidreviewer", 403),
        ("aidofficer", 403),
        ("station_b", 404),
        ("liaison", 404),
    ],
)
def test_contact_edit_is_403_when_visible_but_not_allowed(world, client_for, persona, status):
    url = reverse("portal:student_contact", args=[world.student_a.pk])
    assert client_for(world[persona]).get(url).status_code == status


def test_contact_edit_saves_a_valid_phone_and_audits_it(world, client_for):
    student = world.student_a
    response = client_for(world["student"]).post(
        reverse("portal:student_contact", args=[student.pk]), {"phone": "+86 139 1234 5678"}
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.phone == "13912345678"
    event = AuditEvent.objects.filter(action="student.contact_changed").get()
    assert event.changes == {"fields": ["phone"]} and "13912345678" not in str(event.changes)


@pytest.mark.parametrize("phone", ["12345", "1391234567x", "a" * 30, "138\x0012345678", "<b>1</b>"])
def test_contact_edit_refuses_a_bad_phone_with_a_message_and_keeps_the_old_one(world, client_for, phone):
    student = world.student_a
    old = student.phone
    client = client_for(world["student"])
    client.cookies["django_language"] = "en"
    response = client.post(reverse("portal:student_contact", args=[student.pk]), {"phone": phone})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    student.refresh_from_db()
    assert student.phone == old


def test_notifications_are_private_and_can_be_marked_read(world, client_for):
    mine = Notification.objects.create(recipient=world["student"], title="预约提醒")
    theirs = Notification.objects.create(recipient=world["station"], title="别人的通知")
    client = client_for(world["student"])
    body = client.get(reverse("portal:notifications")).content.decode()
    assert "预约提醒" in body and "别人的通知" not in body
    assert 'data-testid="unread-count">1<' in body
    client.post(reverse("portal:notification_read", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("portal:notification_read", args=[mine.pk]))
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.get(reverse("portal:notification_read", args=[mine.pk])).status_code == 405


def test_mark_all_read(world, client_for):
    for i in range(3):
        Notification.objects.create(recipient=world["student"], title=f"n{i}")
    client_for(world["student"]).post(reverse("portal:notification_read_all"))
    assert not Notification.objects.filter(recipient=world["student"], read_at__isnull=True).exists()


def test_language_switch_sets_english_and_back(world, client_for):
    client = client_for(world["student"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.get("/")["Content-Language"] == "en"
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert client.get("/")["Content-Language"] == "zh-hans"


def test_unknown_page_is_a_friendly_404(client, world, client_for):
    response = client_for(world["student"]).get("/no-such-page/")
    assert response.status_code == 404
    assert "Nuanxin" in response.content.decode() or "暖心" in response.content.decode()
