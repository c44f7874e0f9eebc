"""Self-service activation and password reset by SMS code (portal.activation, portal.views_account).

Real PostgreSQL; the SMS provider is the "locmem" gateway (portal.channels.sms.outbox); the clock is pinned with
time-machine wherever a window matters. What a visitor can learn from the answers is the point of most tests:
a match, a non-match, an unknown 学号, a graduated student and an active account all get the same bytes.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from portal import activation
from portal.activation import CodeRefused, phone_code_request, phone_code_use
from portal.channels import sms
from portal.models import AuditEvent, PhoneCode, Student, User
from portal.tests.factories import StaffFactory, StudentFactory, UserFactory

ACTIVATE = reverse("account_activate")
ACTIVATE_CODE = reverse("account_activate_confirm")
RESET = reverse("account_reset")
RESET_CODE = reverse("account_reset_confirm")
STRONG = "Blue-river-lantern-47"
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.SMS_GATEWAY = "locmem"
    settings.ACCOUNT_CODE_MIN_RESPONSE_SECONDS = 0
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def new_client(**kwargs) -> Client:
    client = Client(**kwargs)
    client.cookies["django_language"] = "en"
    return client


def roster_student(**kwargs) -> Student:
    """A student as the roster import leaves them: no usable password."""
    user = UserFactory(password=make_password(None))
    return StudentFactory(user=user, **kwargs)


def active_student(**kwargs) -> Student:
    return StudentFactory(**kwargs)


def id_tail(student: Student) -> str:
    return student.id_card_number[-6:]


def last_code(phone: str) -> str:
    sent = [m for m in sms.outbox if m.phone == phone]
    assert sent, f"no SMS to {phone}"
    assert sent[-1].template == "verification_code"
    return sent[-1].params["code"]


def scrub(body: bytes, *typed: str) -> bytes:
    """The body without the CSRF tokens and without what the visitor typed (echoed back in the form)."""
    text = _CSRF.sub(r"\1-", body.decode())
    for value in typed:
        text = text.replace(f'value="{value}"', 'value="-"')
    return text.encode()


def ask_activation(client: Client, login: str, tail: str, **extra):
    return client.post(ACTIVATE, {"login": login, "id_tail": tail}, **extra)


def confirm(client: Client, url: str, login: str, code: str, password: str = STRONG):
    return client.post(url, {"login": login, "code": code, "new_password1": password, "new_password2": password})


# --- Happy paths --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_roster_student_activates_with_id_digits_and_the_code_then_signs_in():
    student = roster_student(phone="13912345678")
    client = new_client()
    response = ask_activation(client, student.student_no, id_tail(student))
    assert response.status_code == 302 and response["Location"] == ACTIVATE_CODE
    code = last_code(student.phone)
    assert re.fullmatch(r"\d{6}", code)
    row = PhoneCode.objects.get(user=student.user, purpose="activate")
    assert row.code_hash and code not in row.code_hash and row.phone == student.phone
    assert row.expires_at - row.created_at == timedelta(minutes=10)

    page = client.get(ACTIVATE_CODE)
    assert f'value="{student.student_no}"' in page.content.decode()  # filled in from step 1
    assert "5678" not in page.content.decode()  # the phone, not even masked

    response = confirm(client, ACTIVATE_CODE, student.student_no, code)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    user = User.objects.get(pk=student.user_id)
    assert user.check_password(STRONG)
    row.refresh_from_db()
    assert row.used_at is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"account.code_requested", "account.code_verified", "account.activated"} <= actions
    assert not AuditEvent.objects.filter(changes__icontains=code).exists()
    # Sent to sign in, where the ordinary sign-in rules apply.
    signed_in = new_client().post(reverse("login"), {"username": student.user.username, "password": STRONG})
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("portal:home")


@pytest.mark.django_db
def test_reset_by_code_sets_the_password_and_ends_the_other_sessions():
    student = active_student()
    elsewhere = new_client()
    elsewhere.force_login(student.user, backend="django.contrib.auth.backends.ModelBackend")
    assert elsewhere.get(reverse("portal:home")).status_code == 200

    client = new_client()
    assert client.post(RESET, {"login": student.student_no})["Location"] == RESET_CODE
    response = confirm(client, RESET_CODE, student.student_no, last_code(student.phone))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert User.objects.get(pk=student.user_id).check_password(STRONG)
    assert AuditEvent.objects.filter(action="account.password_reset", object_id=str(student.user_id)).exists()
    # The other browser is signed out: its session carried the old password's hash.
    assert elsewhere.get(reverse("portal:home")).status_code == 302


@pytest.mark.django_db
def test_staff_with_a_phone_may_reset_but_not_an_admin_account():
    staff = StaffFactory()
    admin = StaffFactory(user=UserFactory(is_staff=True))
    client = new_client()
    client.post(RESET, {"login": staff.user.username})
    client.post(RESET, {"login": admin.user.username})
    assert [m.phone for m in sms.outbox] == [staff.phone]
    confirm(client, RESET_CODE, staff.user.username, last_code(staff.phone))
    assert User.objects.get(pk=staff.user_id).check_password(STRONG)


# --- Nothing leaks ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_digits_unknown_number_graduated_and_active_accounts_get_the_same_bytes_and_no_sms():
    matched = roster_student()
    wrong_digits = roster_student()
    graduated = roster_student(status=Student.Status.GRADUATED)
    active = active_student()
    cases = [
        (matched.student_no, id_tail(matched)),
        (wrong_digits.student_no, "00000X" if id_tail(wrong_digits) != "00000X" else "111111"),
        ("2099999999", "123456"),  # nobody
        (graduated.student_no, id_tail(graduated)),
        (active.student_no, id_tail(active)),  # already active: must use reset
    ]
    answers, pages = [], []
    for login, tail in cases:
        client = new_client()
        response = ask_activation(client, login, tail)
        answers.append((response.status_code, response.get("Location"), scrub(response.content)))
        pages.append(scrub(client.get(ACTIVATE_CODE).content, login))
    assert len(set(answers)) == 1, answers
    assert answers[0][:2] == (302, ACTIVATE_CODE)
    assert len(set(pages)) == 1
    assert [m.phone for m in sms.outbox] == [matched.phone]  # only the match got a code
    assert PhoneCode.objects.filter(user__isnull=True, purpose="activate").count() == 4
    outcomes = AuditEvent.objects.filter(action="account.code_requested").values_list("changes__outcome", flat=True)
    assert sorted(outcomes) == ["no_match"] * 4 + ["sent"]


@pytest.mark.django_db
def test_reset_answers_the_same_for_unknown_unactivated_and_known_numbers():
    known, never_activated = active_student(), roster_student()
    answers = []
    for login in (known.student_no, never_activated.student_no, "nobody-here", "T99999"):
        client = new_client()
        response = client.post(RESET, {"login": login})
        answers.append((response.status_code, response["Location"], scrub(response.content)))
    assert len(set(answers)) == 1
    assert [m.phone for m in sms.outbox] == [known.phone]  # reset must not skip activation's ID check


@pytest.mark.django_db
def test_a_code_for_an_unknown_number_gets_the_same_refusal_as_a_wrong_code():
    student = roster_student()
    client = new_client()
    ask_activation(client, student.student_no, id_tail(student))
    code = last_code(student.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    refusals = [
        scrub(confirm(new_client(), ACTIVATE_CODE, student.student_no, wrong).content, student.student_no, wrong),
        scrub(confirm(new_client(), ACTIVATE_CODE, "2099999999", code).content, "2099999999", code),
    ]
    assert refusals[0] == refusals[1]
    assert "This code is wrong" in refusals[0].decode()


@pytest.mark.django_db
def test_the_padding_makes_a_match_and_a_miss_take_at_least_the_floor(settings):
    settings.ACCOUNT_CODE_MIN_RESPONSE_SECONDS = 0.3
    student = roster_student()
    for login, tail in ((student.student_no, id_tail(student)), ("2099999999", "123456")):
        started = time.monotonic()
        ask_activation(new_client(), login, tail)
        assert time.monotonic() - started >= 0.3


# --- Codes: lifetime, tries, reuse, scope -------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_expired_code_is_refused():
    student = roster_student()
    with time_machine.travel(NOON, tick=False) as clock:
        client = new_client()
        ask_activation(client, student.student_no, id_tail(student))
        code = last_code(student.phone)
        clock.shift(timedelta(minutes=10, seconds=1))
        response = confirm(client, ACTIVATE_CODE, student.student_no, code)
    assert response.status_code == 200 and "This code is wrong" in response.content.decode()
    assert not User.objects.get(pk=student.user_id).has_usable_password()


@pytest.mark.django_db
def test_a_code_still_works_just_before_it_expires():
    student = roster_student()
    with time_machine.travel(NOON, tick=False) as clock:
        client = new_client()
        ask_activation(client, student.student_no, id_tail(student))
        clock.shift(timedelta(minutes=9, seconds=59))
        assert confirm(client, ACTIVATE_CODE, student.student_no, last_code(student.phone)).status_code == 302


@pytest.mark.django_db
def test_the_sixth_try_is_refused_even_with_the_right_code():
    student = roster_student()
    client = new_client()
    ask_activation(client, student.student_no, id_tail(student))
    code = last_code(student.phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert "This code is wrong" in confirm(client, ACTIVATE_CODE, student.student_no, wrong).content.decode()
    response = confirm(client, ACTIVATE_CODE, student.student_no, code)
    assert response.status_code == 200 and "This code is wrong" in response.content.decode()
    assert PhoneCode.objects.get(user=student.user).attempts == 5
    assert not User.objects.get(pk=student.user_id).has_usable_password()
    failed = AuditEvent.objects.filter(action="account.code_failed")
    assert failed.count() == 6 and failed.filter(changes__dead=True).count() == 2


@pytest.mark.django_db
def test_a_used_code_cannot_be_used_again():
    student = active_student()
    client = new_client()
    client.post(RESET, {"login": student.student_no})
    code = last_code(student.phone)
    assert confirm(client, RESET_CODE, student.student_no, code).status_code == 302
    again = confirm(new_client(), RESET_CODE, student.student_no, code, password="Another-long-phrase-93")
    assert again.status_code == 200 and "This code is wrong" in again.content.decode()
    assert User.objects.get(pk=student.user_id).check_password(STRONG)


@pytest.mark.django_db
def test_a_code_fits_neither_another_account_nor_another_purpose():
    mine, theirs = active_student(), active_student()
    client = new_client()
    client.post(RESET, {"login": mine.student_no})
    code = last_code(mine.phone)
    assert confirm(client, RESET_CODE, theirs.student_no, code).status_code == 200  # another account
    roster = roster_student()
    ask_activation(client, roster.student_no, id_tail(roster))
    activation_code = last_code(roster.phone)
    # An activation code at the reset page (for an account that is not active, reset never applies anyway).
    assert confirm(client, RESET_CODE, roster.student_no, activation_code).status_code == 200
    with pytest.raises(CodeRefused):  # and the reset code of `mine` at activation
        phone_code_use(purpose="activate", login=mine.student_no, code=code, password=STRONG)
    assert confirm(client, RESET_CODE, mine.student_no, code).status_code == 302  # still good for its own use


@pytest.mark.django_db
def test_a_new_code_replaces_the_live_one():
    student = roster_student()
    with time_machine.travel(NOON, tick=False) as clock:
        client = new_client()
        ask_activation(client, student.student_no, id_tail(student))
        first = last_code(student.phone)
        clock.shift(timedelta(seconds=61))
        ask_activation(client, student.student_no, id_tail(student))
        second = last_code(student.phone)
        assert len(sms.outbox) == 2
        if first != second:  # one in a million they are equal
            assert confirm(client, ACTIVATE_CODE, student.student_no, first).status_code == 200
        assert confirm(client, ACTIVATE_CODE, student.student_no, second).status_code == 302


@pytest.mark.django_db
def test_a_weak_password_is_refused_with_the_validators_message_and_the_code_survives():
    student = active_student()
    student.user.email = "zhang.xiaoming.dorm@example.edu.cn"
    student.user.save()
    client = new_client()
    client.post(RESET, {"login": student.student_no})
    code = last_code(student.phone)

    short = confirm(client, RESET_CODE, student.student_no, code, password="abc123")
    assert "This password is too short" in short.content.decode()
    # Like the account's e-mail: only the service, which knows the account, can tell.
    similar = confirm(client, RESET_CODE, student.student_no, code, password="zhang.xiaoming.dorm")
    assert similar.status_code == 200 and "too similar" in similar.content.decode()
    row = PhoneCode.objects.get(user=student.user)
    assert row.used_at is None and row.attempts == 0
    assert confirm(client, RESET_CODE, student.student_no, code).status_code == 302


# --- Throttles ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_per_number_limits_send_silently_nothing_more():
    student = active_student()
    with time_machine.travel(NOON, tick=False) as clock:
        client = new_client()
        first = client.post(RESET, {"login": student.student_no})
        again = client.post(RESET, {"login": student.student_no})  # within the minute: the same answer, no SMS
        assert (again.status_code, again["Location"]) == (first.status_code, first["Location"])
        assert len(sms.outbox) == 1
        for _ in range(4):
            clock.shift(timedelta(seconds=61))
            client.post(RESET, {"login": student.student_no})
        assert len(sms.outbox) == 5
        clock.shift(timedelta(seconds=61))
        client.post(RESET, {"login": student.student_no})
        assert len(sms.outbox) == 5  # five an hour
        for _ in range(5):
            clock.shift(timedelta(minutes=61))
            client.post(RESET, {"login": student.student_no})
        assert len(sms.outbox) == 10
        clock.shift(timedelta(minutes=61))
        client.post(RESET, {"login": student.student_no})
        assert len(sms.outbox) == 10  # ten a day
        clock.shift(timedelta(hours=24))
        client.post(RESET, {"login": student.student_no})
        assert len(sms.outbox) == 11
    requested = AuditEvent.objects.filter(action="account.code_requested")
    outcomes = list(requested.values_list("changes__outcome", flat=True))
    assert outcomes.count("number_limit") == 3


@pytest.mark.django_db
def test_a_flood_from_one_address_is_stopped_the_same_way_for_real_and_made_up_numbers():
    student = roster_student()
    flooder = {"REMOTE_ADDR": "203.0.113.9"}
    with time_machine.travel(NOON, tick=False) as clock:
        client = new_client()
        for n in range(20):
            assert ask_activation(client, f"20990{n:05d}", "123456", **flooder).status_code == 302
        real = ask_activation(new_client(), student.student_no, id_tail(student), **flooder)
        made_up = ask_activation(new_client(), "2099999999", "654321", **flooder)
        assert real.status_code == made_up.status_code == 429
        assert scrub(real.content, student.student_no, id_tail(student)) == scrub(
            made_up.content, "2099999999", "654321"
        )
        assert "Too many code requests from your network" in real.content.decode()
        assert not sms.outbox
        # Another address is not affected; the flooder's hour ends.
        assert (
            ask_activation(new_client(), student.student_no, id_tail(student), REMOTE_ADDR="198.51.100.7")["Location"]
            == ACTIVATE_CODE
        )
        assert len(sms.outbox) == 1
        clock.shift(timedelta(minutes=61))
        assert ask_activation(new_client(), "2099999999", "654321", **flooder).status_code == 302
    assert PhoneCode.objects.filter(address="203.0.113.9").count() == 21


@pytest.mark.django_db
def test_an_allow_listed_campus_address_gets_the_higher_limit(settings):
    settings.LOGIN_ADDRESS_ALLOWLIST = ["10.8.0.0/16"]
    settings.ACCOUNT_CODES_PER_ALLOWLISTED_ADDRESS_HOUR = 25
    client = new_client()
    campus = {"REMOTE_ADDR": "10.8.1.1"}
    statuses = [ask_activation(client, f"20990{n:05d}", "123456", **campus).status_code for n in range(26)]
    assert statuses == [302] * 25 + [429]


# --- The gateway is down --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_when_the_sms_gateway_is_down_the_answer_is_the_same_and_the_failure_is_logged(monkeypatch, caplog):
    student = roster_student()

    def gateway_down(phone, template, params):
        raise sms.SmsUnavailable("timeout")

    monkeypatch.setattr(activation, "send_template", gateway_down)
    failed = ask_activation(new_client(), student.student_no, id_tail(student))
    unmatched = ask_activation(new_client(), "2099999999", "123456")
    assert (failed.status_code, failed["Location"], failed.content) == (
        unmatched.status_code,
        unmatched["Location"],
        unmatched.content,
    )
    assert "not sent (SmsUnavailable)" in caplog.text and student.phone not in caplog.text
    row = PhoneCode.objects.get(user=student.user)
    assert row.code_hash == "" and row.expires_at <= row.created_at  # no live code
    assert AuditEvent.objects.filter(action="account.code_requested", changes__outcome="send_failed").exists()
    # The gateway is back: a new request goes out at once (a failed send does not count against the number).
    monkeypatch.undo()
    ask_activation(new_client(), student.student_no, id_tail(student))
    assert last_code(student.phone)


# --- Odd input ------------------------------------------------------------------------------------------------------

ODD = [
    "",
    " ",
    "x" * 5000,
    "٢٠٢٤٠٠٠٠٠١",  # Arabic-Indic digits
    "ئۇيغۇرچە",  # Uyghur
    "学生",
    "'; DROP TABLE portal_user; --",
    "1' OR '1'='1",
    "<script>alert(1)</script>",
    "\u200b123456",
    "２０２４",
    "😀😀",
]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize("url", [ACTIVATE, RESET, ACTIVATE_CODE, RESET_CODE])
def test_odd_input_gets_a_message_never_a_500(url, value):
    client = new_client()
    data = {"login": value, "id_tail": value, "code": value, "new_password1": value, "new_password2": value}
    response = client.post(url, data)
    assert response.status_code in (200, 302), response.status_code
    body = response.content.decode()
    if response.status_code == 200:
        assert "invalid-feedback" in body
    assert "<script>alert(1)</script>" not in body
    assert not sms.outbox


@pytest.mark.django_db
def test_full_width_digits_and_a_lower_case_x_work():
    student = roster_student(id_card_number="42010220000101123X")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in student.student_no)
    client = new_client()
    ask_activation(client, f" {full_width} ", "01123x")
    code = last_code(student.phone)
    wide_code = " ".join(chr(ord(c) + 0xFEE0) for c in code)
    assert confirm(client, ACTIVATE_CODE, full_width, wide_code).status_code == 302


@pytest.mark.django_db
def test_csrf_is_checked_and_the_sign_in_page_links_here():
    client = new_client(enforce_csrf_checks=True)
    assert client.post(ACTIVATE, {"login": "2024000001", "id_tail": "123456"}).status_code == 403
    login_page = client.get(reverse("login")).content.decode()
    assert f'href="{ACTIVATE}"' in login_page and f'href="{RESET}"' in login_page


@pytest.mark.django_db
def test_the_pages_render_in_chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = Client()
    for url in (ACTIVATE, ACTIVATE_CODE, RESET, RESET_CODE):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        assert '<html lang="zh-hans">' in response.content.decode()
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in response.content.decode()


# --- Concurrency ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_uses_of_one_code_at_once_succeed_once():
    student = roster_student()
    phone_code_request(purpose="activate", login=student.student_no, id_tail=id_tail(student), address="127.0.0.1")
    code = last_code(student.phone)
    barrier = threading.Barrier(2)
    results: list = []
    lock = threading.Lock()

    def use(password: str) -> None:
        try:
            with translation.override("en"):
                barrier.wait(timeout=20)
                outcome = phone_code_use(purpose="activate", login=student.student_no, code=code, password=password)
        except Exception as exc:
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=use, args=(p,)) for p in (STRONG, "Quiet-harbour-lamp-58")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    assert sum(isinstance(r, User) for r in results) == 1, results
    assert sum(isinstance(r, CodeRefused) for r in results) == 1, results
    assert AuditEvent.objects.filter(action="account.activated").count() == 1


# --- With campus sign-in (CAS) on ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", [ACTIVATE, ACTIVATE_CODE, RESET, RESET_CODE])
def test_with_campus_sign_in_only_the_pages_send_people_to_cas_and_send_nothing(settings, path):
    """CAS on and no portal passwords for students: a code would set a password that opens nothing."""
    settings.CAS_SERVER_URL = "http://127.0.0.1:9/cas"  # nothing listens: refused at once
    settings.STUDENTS_MAY_USE_LOCAL_PASSWORD = False
    student = roster_student(phone="13800001111")
    client = new_client()
    page = client.get(path)
    assert page.status_code == 200
    assert b'data-testid="account-campus-only"' in page.content
    posted = client.post(path, {"login": student.student_no, "id_tail": id_tail(student), "code": "123456"})
    assert posted.status_code == 200
    assert b'data-testid="account-campus-only"' in posted.content
    assert PhoneCode.objects.count() == 0
    assert sms.outbox == []


@pytest.mark.django_db
def test_the_sign_in_page_offers_activation_only_when_portal_passwords_open_something(settings):
    settings.CAS_SERVER_URL = "http://127.0.0.1:9/cas"  # nothing listens: refused at once
    settings.CAS_REACHABILITY_SECONDS = 30
    settings.STUDENTS_MAY_USE_LOCAL_PASSWORD = False
    from django.core.cache import cache

    cache.clear()
    login = reverse("login")
    assert b'data-testid="account-links"' not in new_client().get(login).content
    settings.STUDENTS_MAY_USE_LOCAL_PASSWORD = True
    assert b'data-testid="account-links"' in new_client().get(login).content
    settings.CAS_SERVER_URL = ""
    assert b'data-testid="account-links"' in new_client().get(login).content
    student = roster_student(phone="13800002222")
    settings.CAS_SERVER_URL = "http://127.0.0.1:9/cas"  # nothing listens: refused at once
    response = new_client().post(ACTIVATE, {"login": student.student_no, "id_tail": id_tail(student)})
    assert response.status_code == 302  # students may use portal passwords: activation works as without CAS
    assert [m.phone for m in sms.outbox] == ["13800002222"]
