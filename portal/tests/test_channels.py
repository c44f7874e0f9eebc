"""The channel layer under the outbox: who gets which channel (portal.channels.preferences), WeCom (token cache,
one refresh under concurrency, expiry, 42001, 45009, timeouts, unknown users), SMS through the Aliyun SDK (the
daily limit, transient and permanent answers, Redis down), the fixed wording of every template, the deep link,
and the preferences page.

Real PostgreSQL and Redis; WeCom and Aliyun dysms are fakes on real sockets (fake_wecom.py, fake_sms.py).
"""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from portal.channels import preferences, sms, templates, wecom
from portal.models import AuditEvent, MessageKind, MessagePreference, Reminder
from portal.services import (
    DomainError,
    message_preferences_set,
    notify,
    notify_each,
    reminder_cancel,
    reminder_schedule,
    reminders_dispatch_due,
)
from portal.tests import fake_sms, fake_wecom
from portal.tests.factories import StaffFactory, StudentFactory, UserFactory
from portal.tests.faults import free_port

pytestmark = pytest.mark.django_db

NAME, LEVEL, NARRATIVE = "买买提·艾力", "level 4", "她说想从北苑三栋楼顶跳下去 NX-SECRET"


def _redis(location: str | None = None) -> redis.Redis:
    return redis.Redis.from_url(location or django_settings.CACHES["default"]["LOCATION"])


@pytest.fixture(autouse=True)
def _clean_channel_keys():
    """WeCom's token and lock and the SMS day counters live in the (shared, persistent) test Redis."""
    backend = django_settings.CACHES["default"]
    if "redis" not in backend["BACKEND"].lower():
        cache.clear()
        yield
        return

    def clean() -> None:
        client = _redis(backend["LOCATION"])  # the test's own Redis, even if the test pointed CACHES elsewhere
        for key in [*client.scan_iter(match="*wecom:*"), *client.scan_iter(match="*sms:daily:*")]:
            client.delete(key)
        client.close()

    clean()
    yield
    clean()


@pytest.fixture
def wecom_fake(settings):
    with fake_wecom.fake_wecom() as server:
        for name, value in fake_wecom.settings_for(server).items():
            setattr(settings, name, value)
        yield server


@pytest.fixture
def sms_fake(settings):
    with fake_sms.fake_sms() as server:
        for name, value in fake_sms.settings_for(server).items():
            setattr(settings, name, value)
        yield server


def _card() -> templates.Card:
    return templates.wecom_card(MessageKind.NOTICE, "/notifications/")


def _channels(user) -> set[str]:
    return set(Reminder.objects.filter(recipient=user).values_list("channel", flat=True))


# --- preferences ------------------------------------------------------------------------------------------


def test_with_nothing_configured_notify_keeps_todays_in_app_and_email():
    staff = StaffFactory().user
    notify(recipient=staff, title="t", dedupe_key="k1", email=True, kind=MessageKind.CRISIS_ALERT)
    notify(recipient=StudentFactory().user, title="t", dedupe_key="k2", kind=MessageKind.APPOINTMENT)
    assert sorted(Reminder.objects.values_list("dedupe_key", flat=True)) == ["k1:email", "k1:in_app", "k2:in_app"]


def test_defaults_sms_for_students_appointments_wecom_when_configured(settings, wecom_fake):
    settings.SMS_GATEWAY = "locmem"
    student = StudentFactory().user
    staff = StaffFactory().user
    no_profile = UserFactory()

    assert preferences.channels_for(student, MessageKind.APPOINTMENT) == ["in_app", "sms", "wecom"]
    assert preferences.channels_for(student, MessageKind.NOTICE, email=True) == ["in_app", "email", "wecom"]
    assert preferences.channels_for(staff, MessageKind.TASK) == ["in_app", "wecom"]
    assert preferences.channels_for(staff, MessageKind.APPOINTMENT) == ["in_app", "wecom"]  # SMS: students only
    assert preferences.channels_for(no_profile, MessageKind.NOTICE, email=True) == ["in_app", "email"]  # no WeCom id


def test_crisis_alerts_to_staff_go_to_every_channel_whatever_the_preference(settings, wecom_fake):
    settings.SMS_GATEWAY = "locmem"
    staff = StaffFactory().user
    MessagePreference.objects.create(user=staff, kind=MessageKind.CRISIS_ALERT)  # all off: ignored
    notify(recipient=staff, title="t", dedupe_key="crisis", kind=MessageKind.CRISIS_ALERT)  # even email=False
    assert _channels(staff) == {"in_app", "email", "sms", "wecom"}

    unreachable = StaffFactory(phone="", user=UserFactory(email="")).user
    notify(recipient=unreachable, title="t", dedupe_key="crisis2", kind=MessageKind.CRISIS_ALERT)
    assert _channels(unreachable) == {"in_app", "wecom"}  # only what can reach the person


def test_a_preference_row_decides_for_its_kind(settings, wecom_fake):
    settings.SMS_GATEWAY = "locmem"
    student = StudentFactory().user
    MessagePreference.objects.create(user=student, kind=MessageKind.APPOINTMENT, by_email=False, by_sms=False)
    MessagePreference.objects.create(user=student, kind=MessageKind.NOTICE, by_email=True, by_sms=True)
    notify(recipient=student, title="t", dedupe_key="a", email=True, kind=MessageKind.APPOINTMENT)
    notify(recipient=student, title="t", dedupe_key="n", kind=MessageKind.NOTICE)
    keys = set(Reminder.objects.values_list("dedupe_key", flat=True))
    assert keys == {"a:in_app", "n:in_app", "n:email", "n:sms"}


def test_an_in_app_reminder_brings_its_sms_and_wecom_rows_and_cancels_them(settings, wecom_fake):
    settings.SMS_GATEWAY = "locmem"
    student = StudentFactory().user
    due = timezone.now() + timedelta(hours=24)
    common = {"recipient": student, "subject": "s", "due_at": due, "kind": MessageKind.APPOINTMENT}
    reminder_schedule(channel=Reminder.Channel.IN_APP, dedupe_key="appt:1:24h", **common)
    reminder_schedule(channel=Reminder.Channel.EMAIL, dedupe_key="appt:1:24h:email", **common)
    assert dict(Reminder.objects.values_list("dedupe_key", "channel")) == {
        "appt:1:24h": "in_app",
        "appt:1:24h:email": "email",
        "appt:1:24h:sms": "sms",
        "appt:1:24h:wecom": "wecom",
    }
    assert set(Reminder.objects.values_list("kind", flat=True)) == {MessageKind.APPOINTMENT}

    assert reminder_cancel(dedupe_key="appt:1:24h") is True
    reminder_cancel(dedupe_key="appt:1:24h:email")
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.CANCELLED}


def test_an_email_reminder_honours_a_preference_without_email():
    student = StudentFactory().user
    MessagePreference.objects.create(user=student, kind=MessageKind.APPOINTMENT, by_email=False)
    common = {"recipient": student, "subject": "s", "due_at": timezone.now(), "kind": MessageKind.APPOINTMENT}
    assert reminder_schedule(channel=Reminder.Channel.EMAIL, dedupe_key="x:email", **common) is None
    assert reminder_schedule(channel=Reminder.Channel.EMAIL, dedupe_key="y:email", **common | {"kind": "task"})
    assert list(Reminder.objects.values_list("dedupe_key", flat=True)) == ["y:email"]


def _rows(prefix: str) -> set[tuple]:
    fields = ("recipient_id", "channel", "kind", "subject", "body", "url", "status")
    return {
        (key.removeprefix(prefix), *row)
        for key, *row in Reminder.objects.filter(dedupe_key__startswith=prefix).values_list("dedupe_key", *fields)
    }


@pytest.mark.parametrize("kind", [MessageKind.CRISIS_ALERT, MessageKind.TASK, MessageKind.NOTICE])
def test_notify_each_writes_the_rows_notify_would_for_each_person(settings, wecom_fake, kind):
    """Staff with and without phone or e-mail, a student, a user without a profile, a preference row: each gets the
    channels notify would choose, under the same keys."""
    settings.SMS_GATEWAY = "locmem"
    people = [
        StaffFactory().user,
        StaffFactory(phone="", user=UserFactory(email="")).user,
        StudentFactory().user,
        UserFactory(),
    ]
    MessagePreference.objects.create(user=people[0], kind=kind, by_email=False, by_sms=True, by_wecom=False)
    common = {"title": "新的关注报告", "body": "b", "url": "/counseling/cases/1/", "email": True, "kind": kind}
    for user in people:
        notify(recipient=user, dedupe_key=f"one:{user.pk}", **common)
    assert notify_each(recipients=people, dedupe_prefix="each", **common) == len(_rows("one:"))
    assert _rows("each:") == _rows("one:")
    assert len({row[1] for row in _rows("each:")}) > 1  # the channels differ between them: a real comparison


def test_notify_each_costs_the_same_queries_for_2_or_20_people(django_assert_num_queries, settings):
    settings.SMS_GATEWAY = "locmem"
    few = [StaffFactory().user for _ in range(2)]
    many = [StaffFactory().user for _ in range(20)]
    counts = []
    for prefix, people in (("few", few), ("many", many)):
        with django_assert_num_queries(4) as captured:  # people, preferences, existing keys, one insert
            notify_each(recipients=people, title="t", dedupe_prefix=prefix, kind=MessageKind.CRISIS_ALERT)
        counts.append(len(captured))
    assert counts == [4, 4]
    assert Reminder.objects.filter(dedupe_key__startswith="many:").count() == 20 * 3  # in-app, e-mail, SMS


def test_notify_each_twice_or_after_notify_adds_nothing():
    people = [StaffFactory().user, StaffFactory().user]
    notify(recipient=people[0], title="t", dedupe_key=f"k:{people[0].pk}", email=True)
    assert notify_each(recipients=people, title="t", dedupe_prefix="k", email=True) == 2  # the second person's two
    assert notify_each(recipients=people, title="t", dedupe_prefix="k", email=True) == 0
    assert notify_each(recipients=[], title="t", dedupe_prefix="k") == 0
    assert Reminder.objects.count() == 4
    with pytest.raises(DomainError):
        notify_each(recipients=people, title="t", dedupe_prefix="k", kind="gossip")


def test_an_unknown_kind_is_refused():
    with pytest.raises(DomainError):
        notify(recipient=UserFactory(), title="t", dedupe_key="k", kind="gossip")
    assert not Reminder.objects.exists()


def test_wecom_userid_is_the_student_or_employee_number():
    assert preferences.wecom_userid(StudentFactory(student_no="2024000777").user) == "2024000777"
    assert preferences.wecom_userid(StaffFactory(employee_no="T09999").user) == "T09999"
    assert preferences.wecom_userid(UserFactory()) == ""


# --- WeCom: the token -------------------------------------------------------------------------------------


def test_the_token_is_cached_for_expires_in_minus_five_minutes(wecom_fake):
    first = wecom.access_token()
    assert wecom.access_token() == first
    assert wecom_fake.gettoken_calls == 1
    ttl = max(_redis().ttl(key) for key in _redis().scan_iter(match="*wecom:access_token"))
    assert 6890 <= ttl <= 6900  # 7200 s less the 300 s margin
    assert wecom._cache_ttl(7200) == 6900


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_refresh_the_token_once(wecom_fake):
    wecom_fake.gettoken_delay = 0.3  # a slow gettoken: every thread arrives while it is running
    wecom_fake.users = {f"u{n}" for n in range(8)}
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            wecom.send_card(f"u{n}", _card())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert wecom_fake.gettoken_calls == 1
    assert sorted(m["touser"] for m in wecom_fake.messages) == sorted(wecom_fake.users)


def test_an_expired_token_is_refreshed_when_the_cache_entry_runs_out(wecom_fake, settings):
    import time

    wecom_fake.expires_in = 2  # shorter than the margin: cached for half of it
    first = wecom.access_token()
    time.sleep(1.3)
    assert wecom.access_token() != first
    assert wecom_fake.gettoken_calls == 2


def test_42001_drops_the_token_refreshes_once_and_sends(wecom_fake):
    wecom_fake.users = {"T00001"}
    wecom.access_token()
    wecom_fake.expire_tokens()  # WeCom expired it early (e.g. the secret was reset)
    wecom.send_card("T00001", _card())
    assert wecom_fake.gettoken_calls == 2
    assert len(wecom_fake.messages) == 1


def test_a_fresh_token_refused_again_is_transient_after_one_refresh(wecom_fake):
    wecom_fake.users = {"T00001"}
    wecom_fake.errors = [42001, 40014]
    with pytest.raises(wecom.WecomUnavailable):
        wecom.send_card("T00001", _card())
    assert wecom_fake.gettoken_calls == 2  # the first token, and one refresh: no loop
    assert wecom_fake.messages == []


def test_with_redis_down_the_token_is_fetched_without_the_cache(wecom_fake, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    wecom_fake.users = {"T00001"}
    wecom.send_card("T00001", _card())
    assert len(wecom_fake.messages) == 1


# --- WeCom through the outbox --------------------------------------------------------------------------------


def _wecom_reminder(user, key="w1", kind=MessageKind.NOTICE, url="/notifications/") -> Reminder:
    return Reminder.objects.create(
        recipient=user,
        channel=Reminder.Channel.WECOM,
        kind=kind,
        subject=f"{NAME} {LEVEL}",
        body=NARRATIVE,
        url=url,
        due_at=timezone.now(),
        next_attempt_at=timezone.now(),
        dedupe_key=key,
    )


def test_45009_is_retried_with_backoff_and_sent_once(wecom_fake):
    staff = StaffFactory().user
    wecom_fake.users = {staff.staff.employee_no}
    wecom_fake.errors = [45009]
    reminder = _wecom_reminder(staff)

    assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.PENDING, 1)
    assert "45009" in reminder.last_error
    assert reminder.next_attempt_at >= timezone.now() + timedelta(seconds=50)
    assert reminders_dispatch_due() == 0  # not before its time

    with time_machine.travel(reminder.next_attempt_at + timedelta(seconds=1)):
        assert reminders_dispatch_due() == 1
        assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (Reminder.Status.SENT, 2, "")
    assert [m["touser"] for m in wecom_fake.messages] == [staff.staff.employee_no]


def test_a_timeout_is_transient_and_nothing_was_delivered(wecom_fake, settings):
    settings.WECOM_TIMEOUT_SECONDS = 0.5
    staff = StaffFactory().user
    wecom_fake.users = {staff.staff.employee_no}
    wecom.access_token()
    wecom_fake.delay = 2.0
    reminder = _wecom_reminder(staff)

    assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.PENDING
    assert "WecomUnavailable" in reminder.last_error
    import time

    time.sleep(2)  # the fake finishes its "processing" and finds the sender gone
    assert wecom_fake.messages == []
    wecom_fake.delay = 0
    with time_machine.travel(reminder.next_attempt_at + timedelta(seconds=1)):
        assert reminders_dispatch_due() == 1
    assert len(wecom_fake.messages) == 1


def test_an_unknown_wecom_user_fails_at_once_with_the_error(wecom_fake):
    staff = StaffFactory().user  # not in the fake's directory
    reminder = _wecom_reminder(staff)
    assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.FAILED, 1)
    assert "invaliduser" in reminder.last_error


def test_wecom_down_is_retried(wecom_fake):
    staff = StaffFactory().user
    wecom_fake.users = {staff.staff.employee_no}
    wecom_fake.down = True
    reminder = _wecom_reminder(staff)
    assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.PENDING, 1)
    wecom_fake.down = False
    with time_machine.travel(reminder.next_attempt_at + timedelta(seconds=1)):
        assert reminders_dispatch_due() == 1
    assert len(wecom_fake.messages) == 1


def test_the_card_links_to_the_reminders_page(wecom_fake, settings):
    settings.SITE_URL = "https://nuanxin.example.edu.cn"
    staff = StaffFactory().user
    wecom_fake.users = {staff.staff.employee_no}
    _wecom_reminder(staff, url="/counseling/cases/42/", kind=MessageKind.CRISIS_ALERT)
    assert reminders_dispatch_due() == 1
    [message] = wecom_fake.messages
    assert message["msgtype"] == "textcard"
    assert message["agentid"] == int(fake_wecom.AGENT_ID)
    assert message["textcard"]["url"] == "https://nuanxin.example.edu.cn/counseling/cases/42/"
    assert message["textcard"]["title"] and message["textcard"]["btntxt"]


# --- SMS -------------------------------------------------------------------------------------------------------


def _sms_reminder(user, key="s1", kind=MessageKind.NOTICE) -> Reminder:
    return Reminder.objects.create(
        recipient=user,
        channel=Reminder.Channel.SMS,
        kind=kind,
        subject=f"{NAME} {LEVEL}",
        body=NARRATIVE,
        url="/x/",
        due_at=timezone.now(),
        next_attempt_at=timezone.now(),
        dedupe_key=key,
    )


def test_the_verification_code_interface_goes_through_the_aliyun_sdk(sms_fake):
    sms.send_template("13912345678", "verification_code", {"code": "428571"})
    [message] = sms_fake.messages
    assert (message.phone, message.template_code, message.params, message.sign_name) == (
        "13912345678",
        "SMS_100",
        {"code": "428571"},
        "暖心",
    )


def test_the_locmem_gateway_still_records_verification_codes(settings):
    settings.SMS_GATEWAY = "locmem"
    sms.outbox.clear()
    sms.send_template("13912345678", "verification_code", {"code": "1234"})
    assert sms.outbox == [sms.SentSms("13912345678", "verification_code", {"code": "1234"})]


def test_an_sms_reminder_carries_the_kinds_template_and_its_out_id(sms_fake):
    student = StudentFactory(phone="13912345678")
    reminder = _sms_reminder(student.user, kind=MessageKind.APPOINTMENT)
    assert reminders_dispatch_due() == 1
    assert reminders_dispatch_due() == 0
    [message] = sms_fake.messages
    assert (message.template_code, message.params, message.out_id) == ("SMS_102", {}, f"reminder-{reminder.pk}")


def test_the_provider_throttling_is_retried_and_a_bad_number_fails_at_once(sms_fake):
    throttled = _sms_reminder(StudentFactory(phone="13900000001").user, key="a")
    sms_fake.errors = [(200, "isv.BUSINESS_LIMIT_CONTROL")]
    assert reminders_dispatch_due() == 0
    throttled.refresh_from_db()
    assert (throttled.status, throttled.attempts) == (Reminder.Status.PENDING, 1)
    assert "BUSINESS_LIMIT_CONTROL" in throttled.last_error

    bad = _sms_reminder(StudentFactory(phone="13900000002").user, key="b")
    sms_fake.errors = [(400, "isv.MOBILE_NUMBER_ILLEGAL")]
    assert reminders_dispatch_due() == 0
    bad.refresh_from_db()
    assert (bad.status, bad.attempts) == (Reminder.Status.FAILED, 1)
    assert "MOBILE_NUMBER_ILLEGAL" in bad.last_error

    sms_fake.errors = [(500, "InternalError")]
    with time_machine.travel(throttled.next_attempt_at + timedelta(seconds=1)):
        assert reminders_dispatch_due() == 0  # the provider's own trouble: transient too
    throttled.refresh_from_db()
    assert (throttled.status, throttled.attempts) == (Reminder.Status.PENDING, 2)
    with time_machine.travel(throttled.next_attempt_at + timedelta(seconds=1)):
        assert reminders_dispatch_due() == 1
    assert [m.phone for m in sms_fake.messages] == ["13900000001"]


def test_the_provider_not_answering_in_time_is_transient(sms_fake, settings):
    settings.SMS_TIMEOUT_SECONDS = 0.5
    sms_fake.delay = 1.5
    reminder = _sms_reminder(StudentFactory(phone="13900000003").user)
    assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.PENDING and "SmsUnavailable" in reminder.last_error
    assert sms.sent_today("13900000003") == 0  # not sent: not counted


def test_the_daily_limit_refuses_the_next_sms_but_never_a_crisis_alert(sms_fake, settings):
    settings.SMS_DAILY_LIMIT_PER_PHONE = 2
    student = StudentFactory(phone="13900000004").user
    for n in range(3):
        _sms_reminder(student, key=f"notice{n}")
    assert reminders_dispatch_due() == 2
    refused = Reminder.objects.get(status=Reminder.Status.FAILED)
    assert "daily limit" in refused.last_error and refused.attempts == 1
    assert len(sms_fake.messages) == 2

    staff = StaffFactory(phone="13900000004").user  # the same phone
    _sms_reminder(staff, key="crisis", kind=MessageKind.CRISIS_ALERT)
    assert reminders_dispatch_due() == 1
    assert len(sms_fake.messages) == 3
    assert sms.sent_today("13900000004") == 3

    with time_machine.travel(timezone.now() + timedelta(days=1)):  # a new day, a new allowance
        _sms_reminder(student, key="tomorrow")
        assert reminders_dispatch_due() == 1


def test_with_redis_down_crisis_alerts_still_go_and_other_sms_wait(sms_fake, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    staff = StaffFactory(phone="13900000005").user
    crisis = _sms_reminder(staff, key="crisis", kind=MessageKind.CRISIS_ALERT)
    notice = _sms_reminder(staff, key="notice")
    assert reminders_dispatch_due() == 1
    crisis.refresh_from_db()
    notice.refresh_from_db()
    assert crisis.status == Reminder.Status.SENT
    assert (notice.status, notice.attempts) == (Reminder.Status.PENDING, 1)
    assert "limit cannot be checked" in notice.last_error
    assert [m.template_code for m in sms_fake.messages] == ["SMS_101"]


def test_a_missing_template_code_fails_with_a_clear_error(sms_fake, settings):
    settings.SMS_TEMPLATE_CODES = {"verification_code": "SMS_100"}
    reminder = _sms_reminder(StudentFactory(phone="13900000006").user)
    assert reminders_dispatch_due() == 0
    reminder.refresh_from_db()
    assert reminder.status == Reminder.Status.FAILED and "SMS_TEMPLATE_CODES" in reminder.last_error


def test_the_legacy_sms_backend_gets_the_fixed_wording(settings):
    settings.SMS_BACKEND = f"{__name__}.legacy_backend"
    LEGACY.clear()
    student = StudentFactory(phone="13900000007").user
    _sms_reminder(student)
    assert reminders_dispatch_due() == 1
    assert [("13900000007", templates.sms_text("notice", {}))] == LEGACY
    assert NAME not in LEGACY[0][1]


LEGACY: list[tuple[str, str]] = []


def legacy_backend(phone: str, text: str) -> None:
    LEGACY.append((phone, text))


# --- the wording never carries the subject, body, a name, a level or a narrative ---------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)|\{(\w*)\}|\$\{(\w+)\}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_template_uses_only_allowed_placeholders(language):
    texts = []
    with override(language):
        for kind in MessageKind.values:
            template = templates.template_for(kind)
            texts += [str(template.card_title), str(template.card_description)]
            assert template.sms_params == ()
            assert set(templates.sms_params_for(kind)[1]) <= templates.PLACEHOLDERS_ALLOWED
        for params, text in templates.SMS_ONLY.values():
            assert set(params) <= templates.PLACEHOLDERS_ALLOWED
            texts.append(str(text))
        texts.append(str(templates.CARD_BUTTON))
    for text in texts:
        assert text.strip()
        found = {next(g for g in match.groups() if g is not None) for match in PLACEHOLDER.finditer(text)}
        assert found <= templates.PLACEHOLDERS_ALLOWED, (text, found)
    assert {"code"} == templates.PLACEHOLDERS_ALLOWED


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_subject_body_name_level_or_narrative_reaches_the_providers(language, settings, wecom_fake, sms_fake):
    settings.LANGUAGE_CODE = language
    secrets = (NAME, LEVEL, NARRATIVE, "NX-SECRET", "北苑")
    staff = StaffFactory(phone="13900000008").user
    wecom_fake.users = {staff.staff.employee_no}
    for kind in MessageKind.values:
        _wecom_reminder(staff, key=f"w-{kind}", kind=kind, url="/counseling/cases/7/")
        _sms_reminder(staff, key=f"s-{kind}", kind=kind)
    assert reminders_dispatch_due() == 2 * len(MessageKind.values)
    received = json.dumps(wecom_fake.requests, ensure_ascii=False) + json.dumps(sms_fake.requests, ensure_ascii=False)
    for secret in secrets:
        assert secret not in received
    assert len(wecom_fake.messages) == len(sms_fake.messages) == len(MessageKind.values)
    # The text an SMS_BACKEND callable would get is the fixed wording as well.
    for kind in MessageKind.values:
        assert not any(secret in templates.sms_text(kind, {}, language=language) for secret in secrets)


# --- the preferences page ------------------------------------------------------------------------------------


def test_a_student_chooses_channels_for_appointments_and_notices(client_for, world, settings, wecom_fake):
    settings.SMS_GATEWAY = "locmem"
    student = world["student"]
    client = client_for(student)
    page = client.get(reverse("message_preferences"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="appointment_sms"' in html and 'name="notice_wecom"' in html
    assert "task_email" not in html and 'data-testid="crisis-alert-row"' not in html

    response = client.post(reverse("message_preferences"), {"appointment_wecom": "on", "notice_email": "on"})
    assert response.status_code == 302
    rows = {r.kind: (r.by_email, r.by_sms, r.by_wecom) for r in MessagePreference.objects.filter(user=student)}
    assert rows == {"appointment": (False, False, True), "notice": (True, False, False)}
    assert AuditEvent.objects.filter(actor=student, action="message_preferences.changed").exists()
    assert preferences.channels_for(student, MessageKind.APPOINTMENT) == ["in_app", "wecom"]


def test_staff_see_crisis_alerts_as_fixed_and_choose_tasks_and_notices(client_for, world):
    client = client_for(world["counselor"])
    html = client.get(reverse("message_preferences")).content.decode()
    assert 'data-testid="crisis-alert-row"' in html
    assert 'name="task_email"' in html and 'name="notice_email"' in html
    assert "crisis_alert_email" not in html
    assert 'name="task_sms"' not in html  # SMS is off for this school (the log gateway)
    # A crafted field for crisis alerts changes nothing.
    client.post(reverse("message_preferences"), {"crisis_alert_email": "", "task_email": "on"})
    assert set(MessagePreference.objects.filter(user=world["counselor"]).values_list("kind", flat=True)) == {
        "task",
        "notice",
    }


def test_unticking_every_box_saves_all_off(client_for, world):
    client = client_for(world["student"])
    assert client.post(reverse("message_preferences"), {}).status_code == 302
    rows = MessagePreference.objects.filter(user=world["student"])
    # E-mail off; SMS and WeCom are off for this school, not on the page: they keep the defaults until they are.
    assert {(r.kind, r.by_email, r.by_sms, r.by_wecom) for r in rows} == {
        ("appointment", False, True, True),
        ("notice", False, False, True),
    }


def test_the_service_refuses_kinds_the_user_may_not_choose(world):
    with pytest.raises(DomainError):
        message_preferences_set(
            actor=world["counselor"], choices={"crisis_alert": preferences.Choice(False, False, False)}
        )
    assert not MessagePreference.objects.exists()


def test_hostile_input_is_never_a_500(client_for, world):
    client = client_for(world["student"])
    response = client.post(reverse("message_preferences"), {"appointment_email": "<script>", "x": "\x00" * 5})
    assert response.status_code in (200, 302)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("message_preferences"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_user_menu_links_to_the_page(client_for, world):
    html = client_for(world["student"]).get(reverse("portal:notifications")).content.decode()
    assert reverse("message_preferences") in html
