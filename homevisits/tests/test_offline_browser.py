"""A real browser proves the visit form loses no text: localStorage when the server is unreachable, the server
draft when the connection comes back, and one record however often the form is sent."""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from homevisits.models import Trip, VisitDraft, VisitRecord
from homevisits.tests.factories import TripFactory, plan

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_typed_text_survives_reload_offline_and_double_submit(world, live_server, settings, password, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; only for this test (check --deploy refuses it).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    visitor = world["visitor"]
    trip = TripFactory(
        leader=visitor, status=Trip.Status.TRAVELLING, starts_on=timezone.localdate() - timedelta(days=1)
    )
    ts = plan(trip, world.student_a)
    form_url = f"{live_server.url}/homevisits/planned/{ts.pk}/record/"
    draft_glob = f"**/homevisits/planned/{ts.pk}/draft/"

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="en-US")
            context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", visitor.username)
            page.fill("input[name=password]", password)
            page.click("form:has(input[name=password]) [type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)

            # 1. The server is unreachable (draft endpoint aborted): text survives a reload from localStorage.
            page.route(draft_glob, lambda route: route.abort())
            page.goto(form_url)
            key = page.input_value("input[name=idempotency_key]")
            page.fill("textarea[name=family_members]", "父亲务农，母亲多病")
            page.wait_for_function(
                "k => (localStorage.getItem(k) || '').includes('母亲多病')", arg=f"nuanxin:visit-draft:{ts.pk}"
            )
            page.reload()
            page.wait_for_function("() => document.querySelector('textarea[name=family_members]').value !== ''")
            assert page.input_value("textarea[name=family_members]") == "父亲务农，母亲多病"
            assert page.input_value("input[name=idempotency_key]") == key  # one key per draft
            assert not VisitDraft.objects.exists()
            page.unroute(draft_glob)

            # 2. Offline: keep typing; back online, the draft reaches the server.
            context.set_offline(True)
            page.fill("textarea[name=summary]", "学生懂事，成绩好")
            with page.expect_response(lambda r: "/draft/" in r.url and r.request.method == "POST") as saved:
                context.set_offline(False)
            assert saved.value.status == 200
            draft = VisitDraft.objects.get(trip_student=ts, author=visitor)
            data = json.loads(draft.data)
            assert data["summary"] == "学生懂事，成绩好"
            assert data["family_members"] == "父亲务农，母亲多病"
            assert data["idempotency_key"] == key

            # 3. Submit once, then resend the same form data with the same key (a retry after a timeout).
            page.check("input[name=family_agreed]")
            page.fill("input[name=gift_amount]", "300.00")
            page.click("form[data-visit-form] button[type=submit]")
            page.wait_for_url("**/homevisits/records/*/")
            record = VisitRecord.objects.get()
            assert str(record.idempotency_key) == key
            assert page.evaluate("k => localStorage.getItem(k)", f"nuanxin:visit-draft:{ts.pk}") is None
            csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
            retry = context.request.post(
                form_url,
                form={
                    "csrfmiddlewaretoken": csrf,
                    "idempotency_key": key,
                    "outcome": "visited",
                    "family_agreed": "on",
                    "visited_on": timezone.localdate().isoformat(),
                    "form": "home",
                    "gift_amount": "300.00",
                    "summary": "学生懂事，成绩好",
                },
                headers={"Referer": form_url},
                max_redirects=0,
            )
            assert retry.status == 302
            assert retry.headers["location"].endswith(f"/homevisits/records/{record.pk}/")
            assert VisitRecord.objects.count() == 1
            assert uuid.UUID(key) == record.idempotency_key

            # 4. Signing out clears what the portal kept in this browser (a shared phone).
            page.goto(form_url.replace(f"planned/{ts.pk}/record/", ""))
            page.evaluate("() => localStorage.setItem('nuanxin:visit-draft:999', '{\"data\": {}}')")
            page.evaluate("() => document.querySelector('form[data-clear-local-data]').requestSubmit()")
            page.wait_for_url("**/accounts/login/")
            assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('nuanxin:'))") == []
        finally:
            browser.close()
