"""Services of visit records: gift limit, idempotent creation, encrypted drafts, photos without EXIF,
follow-ups into aid and counselling, reminders."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from PIL import Image

from aid.models import Application, Programme
from aid.tests.factories import AcademicYearFactory, identified
from counseling.models import Report
from homevisits.models import FollowUp, Trip, VisitDraft, VisitRecord
from homevisits.services import records as services
from homevisits.tests.factories import TripFactory, plan
from portal.models import Reminder, Setting
from portal.services import DomainError

pytestmark = pytest.mark.django_db


def trip_for(leader, *, members=(), status=Trip.Status.TRAVELLING) -> Trip:
    today = timezone.localdate()
    return TripFactory(leader=leader, members=list(members), status=status, starts_on=today - timedelta(days=2))


def planned(trip: Trip, student):
    return plan(trip, student)


def _data(**overrides: object) -> dict:
    data = {
        "outcome": "visited",
        "visited_on": timezone.localdate(),
        "place": "喀什市 家中",
        "form": "home",
        "family_members": "父亲、母亲、妹妹",
        "income_and_spending": "务农，年收入约一万元",
        "summary": "家庭困难，学生懂事",
        "gift_amount": Decimal("500.00"),
        "needs": ["financial", "study"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def setup(world):
    trip = trip_for(world["visitor"])
    return trip, planned(trip, world.student_a)


def test_it_creates_a_record_with_every_field(world, setup):
    _trip, ts = setup
    record, created = services.visit_record_create(
        actor=world["visitor"], trip_student=ts, data=_data(interpreter_needed=True), idempotency_key=uuid.uuid4()
    )
    assert created
    record.refresh_from_db()
    assert record.family_members == "父亲、母亲、妹妹"
    assert record.needs == ["financial", "study"]
    assert record.interpreter_needed is True
    assert record.gift_amount == Decimal("500.00")


def test_the_gift_limit_is_configurable_and_refused_above_it(world, setup):
    _trip, ts = setup
    with pytest.raises(DomainError, match=r"2000\.00"):
        services.visit_record_create(
            actor=world["visitor"], trip_student=ts, data=_data(gift_amount="2000.01"), idempotency_key=uuid.uuid4()
        )
    for bad in ("abc", "-1", "NaN", "1.001"):
        with pytest.raises(DomainError):
            services.check_gift(bad)
    assert services.check_gift("2000.00") == Decimal("2000.00")
    Setting.objects.create(key="homevisits.gift_limit", value="300.00")
    from portal import config

    config.clear_cache()
    with pytest.raises(DomainError, match=r"300\.00"):
        services.check_gift("300.01")
    assert not VisitRecord.objects.exists()


def test_a_resubmitted_form_creates_one_record(world, setup):
    _trip, ts = setup
    key = uuid.uuid4()
    first, created = services.visit_record_create(
        actor=world["visitor"], trip_student=ts, data=_data(), idempotency_key=key
    )
    again, created_again = services.visit_record_create(
        actor=world["visitor"], trip_student=ts, data=_data(), idempotency_key=key
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert VisitRecord.objects.count() == 1
    with pytest.raises(DomainError, match="already been recorded"):
        services.visit_record_create(
            actor=world["visitor"], trip_student=ts, data=_data(), idempotency_key=uuid.uuid4()
        )


@pytest.mark.parametrize("status", [Trip.Status.PLANNING, Trip.Status.CLOSED])
def test_records_are_refused_outside_the_trip(world, status):
    trip = trip_for(world["visitor"], status=status)
    ts = planned(trip, world.student_a)
    with pytest.raises(DomainError):
        services.visit_record_create(
            actor=world["visitor"], trip_student=ts, data=_data(), idempotency_key=uuid.uuid4()
        )


def test_not_reached_needs_a_reason_and_no_gift(world, setup):
    _trip, ts = setup
    with pytest.raises(DomainError):
        services.visit_record_create(
            actor=world["visitor"], trip_student=ts, data=_data(outcome="not_reached"), idempotency_key=uuid.uuid4()
        )
    record, _ = services.visit_record_create(
        actor=world["visitor"],
        trip_student=ts,
        data=_data(outcome="not_reached", not_reached_reason="路断了", gift_amount="0"),
        idempotency_key=uuid.uuid4(),
    )
    assert record.outcome == "not_reached"


def test_drafts_are_encrypted_at_rest_and_dropped_with_the_record(world, setup):
    _trip, ts = setup
    draft = services.visit_draft_save(
        actor=world["visitor"], trip_student=ts, data={"summary": "母亲卧病在床", "junk": "x"}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM homevisits_visitdraft WHERE id = %s", [draft.pk])
        raw = cursor.fetchone()[0]
    assert "母亲卧病在床" not in raw
    draft.refresh_from_db()
    assert json.loads(draft.data) == {"summary": "母亲卧病在床"}
    services.visit_draft_save(actor=world["visitor"], trip_student=ts, data={"summary": "更新"})
    assert VisitDraft.objects.count() == 1
    with pytest.raises(DomainError):
        services.visit_draft_save(actor=world["visitor"], trip_student=ts, data={"summary": "x" * 300_000})
    services.visit_record_create(actor=world["visitor"], trip_student=ts, data=_data(), idempotency_key=uuid.uuid4())
    assert not VisitDraft.objects.exists()


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (39.0, 28.0, 12.0), 3: "E", 4: (75.0, 59.0, 3.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(0x8825)  # the test file really carries GPS
    return data


def test_photo_exif_and_gps_are_removed(world, setup, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _trip, ts = setup
    record, _ = services.visit_record_create(
        actor=world["visitor"], trip_student=ts, data=_data(), idempotency_key=uuid.uuid4()
    )
    upload = SimpleUploadedFile("IMG_0001.jpg", _jpeg_with_gps(), content_type="image/jpeg")
    photo = services.visit_photo_add(actor=world["visitor"], record=record, upload=upload, consent=True)
    stored = photo.image.read()
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not image.getexif().get_ifd(0x8825)
    assert "IMG_0001" not in photo.image.name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00 not an image", "JPEG or PNG"),
        (b"GIF89a" + b"\x00" * 50, "JPEG or PNG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "JPEG or PNG"),
    ],
)
def test_fake_images_are_refused(world, setup, settings, tmp_path, content, message):
    settings.MEDIA_ROOT = tmp_path
    _trip, ts = setup
    record, _ = services.visit_record_create(
        actor=world["visitor"], trip_student=ts, data=_data(), idempotency_key=uuid.uuid4()
    )
    with pytest.raises(DomainError, match=message):
        services.visit_photo_add(
            actor=world["visitor"], record=record, upload=SimpleUploadedFile("a.jpg", content), consent=True
        )
    with pytest.raises(DomainError, match="agreed"):
        services.visit_photo_add(
            actor=world["visitor"], record=record, upload=SimpleUploadedFile("a.jpg", _jpeg_with_gps()), consent=False
        )
    assert not record.photos.exists()


@pytest.fixture
def record(world, setup):
    _trip, ts = setup
    return services.visit_record_create(
        actor=world["visitor"], trip_student=ts, data=_data(), idempotency_key=uuid.uuid4()
    )[0]


def _notified(user, fragment: str = "") -> list[Reminder]:
    return [r for r in Reminder.objects.filter(recipient=user) if fragment in r.dedupe_key]


def test_a_referral_follow_up_opens_a_counselling_report(world, record):
    due = timezone.localdate() + timedelta(days=7)
    follow_up = services.follow_up_add(
        actor=world["visitor"],
        record=record,
        kind="referral",
        title="心理支持",
        note="学生情绪低落",
        owner=world["station"],
        due_on=due,
    )
    report = Report.objects.get(source=Report.Source.HOME_VISIT)
    assert follow_up.linked == f"counseling.report:{report.pk}"
    assert report.case.student == world.student_a
    assert report.reporter == world["visitor"]
    assert _notified(world["station"], f"homevisits:followup:{follow_up.pk}:assigned")
    # A second referral from the same visit joins the first report.
    again = services.follow_up_add(
        actor=world["visitor"],
        record=record,
        kind="referral",
        title="再次转介",
        note="另一条",
        owner=world["station"],
        due_on=due,
    )
    assert again.linked == follow_up.linked
    assert Report.objects.filter(source=Report.Source.HOME_VISIT).count() == 1


def test_a_temporary_hardship_follow_up_opens_a_draft_application(world, record):
    year = AcademicYearFactory()
    programme = Programme.objects.create(code="temp", name="临时困难补助", kind=Programme.Kind.TEMPORARY, active=True)
    follow_up = services.follow_up_add(
        actor=world["visitor"],
        record=record,
        kind="temporary_hardship",
        title="临时困难",
        note="父亲住院",
        owner=world["aidofficer"],
        due_on=timezone.localdate() + timedelta(days=3),
    )
    application = Application.objects.get(student=world.student_a, programme=programme, year=year)
    assert application.status == Application.Status.DRAFT
    assert application.statement == "父亲住院"
    assert follow_up.linked == f"aid.application:{application.pk}"
    assert _notified(world["student"], f"aid:application:{application.pk}:opened_for_student")
    from aid.services.funds import temporary_hardship_open

    assert temporary_hardship_open(actor=world["visitor"], student=world.student_a, note="再次") == application
    assert Application.objects.count() == 1


def test_an_identification_review_follow_up_tells_reviewers_and_the_student(world, record):
    identification = identified(world.student_a)
    follow_up = services.follow_up_add(
        actor=world["visitor"],
        record=record,
        kind="identification",
        title="复核认定",
        note="家里新盖了房",
        owner=world["aidofficer"],
        due_on=timezone.localdate() + timedelta(days=3),
    )
    assert follow_up.linked == f"aid.identification:{identification.pk}"
    assert _notified(world["aidreviewer"], "review-request")
    assert _notified(world["student"], "review-request")
    # Nothing is created for the student: without an identification the request returns None.
    from aid.models import Identification
    from aid.services.identification import identification_review_request

    count = Identification.objects.count()
    assert identification_review_request(actor=world["visitor"], student=world.student_b, note="请申请") is None
    assert Identification.objects.count() == count


def test_follow_up_owner_must_be_team_aid_or_counselling_staff(world, record):
    with pytest.raises(DomainError, match="owner"):
        services.follow_up_add(
            actor=world["visitor"],
            record=record,
            kind="task",
            title="回访",
            note="",
            owner=world["student"],
            due_on=timezone.localdate(),
        )


def test_reminders_when_due_and_overdue_never_twice(world, record):
    today = timezone.localdate()
    follow_up = services.follow_up_add(
        actor=world["visitor"],
        record=record,
        kind="task",
        title="寄送资料",
        note="",
        owner=world["aidofficer"],
        due_on=today,
    )
    services.follow_ups_remind(today=today - timedelta(days=1))
    assert not _notified(world["aidofficer"], ":due")
    services.follow_ups_remind(today=today)
    services.follow_ups_remind(today=today)
    assert len(_notified(world["aidofficer"], f"followup:{follow_up.pk}:due")) == 1
    from homevisits.tasks import follow_ups_remind_due

    for _ in range(2):
        services.follow_ups_remind(today=today + timedelta(days=1))
        services.follow_ups_remind(today=today + timedelta(days=2))
        follow_ups_remind_due()
    assert len(_notified(world["aidofficer"], f"followup:{follow_up.pk}:overdue")) == 1
    services.follow_up_complete(actor=world["aidofficer"], follow_up=follow_up)
    assert services.follow_ups_remind(today=today + timedelta(days=3)) == 0
    with pytest.raises(DomainError):
        services.follow_up_complete(actor=world["aidofficer"], follow_up=follow_up)
    assert FollowUp.objects.get().status == "done"


def test_a_temporary_hardship_draft_opened_after_a_visit_is_completed_by_the_student_applying(world):
    """The follow-up opens a draft on the student's behalf; applying submits that same application."""
    from aid import eligibility
    from aid.models import Application, Programme
    from aid.services import funds as aid_funds
    from aid.tests.factories_funds import current_year, identify

    year = current_year()
    aid_funds.seed_programmes()
    identify(world.student_a)
    programme = Programme.objects.filter(kind=Programme.Kind.TEMPORARY, active=True).order_by("pk").first()
    draft = aid_funds.temporary_hardship_open(actor=world["visitor"], student=world.student_a, note="家里遭灾")
    assert draft.status == Application.Status.DRAFT
    ctx = eligibility.context_for(world.student_a, year)
    assert "already applied" not in " ".join(eligibility.reasons(ctx, programme))
    submitted = aid_funds.application_apply(
        actor=world["student"],
        student=world.student_a,
        programme=programme,
        year=year,
        statement="房屋受损，需要临时补助",
        amount="1500",
    )
    assert submitted.pk == draft.pk and submitted.status == Application.Status.SUBMITTED
    assert Application.objects.filter(student=world.student_a, programme=programme).count() == 1
