"""The visit form works without signal (static/js/visit-sw.js): a real Chromium with the service worker goes
offline, submits, reloads, comes back online; the server ends with exactly one record."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from homevisits.models import Trip, VisitRecord
from homevisits.tests.factories import TripFactory, plan
from homevisits.tests.test_offline_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = "[data-visit-queue]"


@pytest.fixture
def visit_form(world, live_server, settings, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; only for these tests (check --deploy refuses it).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    visitor = world["visitor"]
    trip = TripFactory(
        leader=visitor, status=Trip.Status.TRAVELLING, starts_on=timezone.localdate() - timedelta(days=1)
    )
    ts = plan(trip, world.student_a)
    return visitor, f"{live_server.url}/homevisits/planned/{ts.pk}/record/"


@contextmanager
def signed_in_browser(live_server, user, password):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(locale="en-US")
            context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(10_000)
            sign_in(page, f"{live_server.url}/accounts/login/", user, password)
            yield context, page
        finally:
            browser.close()


def sign_in(page, url, user, password):
    page.goto(url)
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) [type=submit]")
    page.wait_for_url(lambda u: "/accounts/login/" not in u)


def open_ready_form(page, url):
    """The form, once the worker controls it and has kept the page and its files."""
    page.goto(url)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_selector("form[data-visit-form][data-offline-ready]", state="attached")


def fill_visit(page, summary="学生懂事，成绩好"):
    page.fill("textarea[name=summary]", summary)
    page.check("input[name=family_agreed]")
    page.fill("input[name=gift_amount]", "300.00")


def submit(page):
    page.click("form[data-visit-form] button[type=submit]")


def waiting(page, n):
    page.wait_for_selector(f"{QUEUE}[data-count='{n}']:not([hidden])")
    return page.inner_text(QUEUE)


def test_offline_submit_waits_reloads_and_sends_one_record(visit_form, live_server, password):
    visitor, url = visit_form
    with signed_in_browser(live_server, visitor, password) as (context, page):
        open_ready_form(page, url)
        fill_visit(page)
        context.set_offline(True)
        submit(page)
        assert "Waiting to send (1)" in waiting(page, 1)
        assert page.url.startswith(live_server.url)  # the form, not the browser's "no internet" page
        assert page.is_visible("form[data-visit-form]")

        # Sent twice without signal (an impatient tap): still one entry, still one record later.
        submit(page)
        assert "Waiting to send (1)" in waiting(page, 1)

        # Reloading without signal: the worker serves the form, with the text and the waiting count.
        page.reload()
        assert "Waiting to send (1)" in waiting(page, 1)
        assert page.input_value("textarea[name=summary]") == "学生懂事，成绩好"
        assert not VisitRecord.objects.exists()

        # The signal returns: the queue is sent, the count goes to 0, one record.
        context.set_offline(False)
        page.wait_for_selector(f"{QUEUE}[data-count='0']:not([hidden])")
        assert "Sent" in page.inner_text(QUEUE)
        record = VisitRecord.objects.get()
        assert record.summary == "学生懂事，成绩好"
        assert page.evaluate("k => localStorage.getItem(k)", f"nuanxin:visit-draft:{url.split('/')[-3]}") is None

        # Sent again by hand with the same key (the form is still on the page): the server's answer is the
        # same record.
        submit(page)
        page.wait_for_url("**/homevisits/records/*/")
        assert VisitRecord.objects.count() == 1

        # Signing out deletes the pages the worker kept.
        page.evaluate("() => document.querySelector('form[data-clear-local-data]').requestSubmit()")
        page.wait_for_url("**/accounts/login/")
        page.wait_for_function("async () => (await caches.keys()).filter(k => k.startsWith('nuanxin-')).length === 0")


def test_queued_submit_after_the_session_ended_is_kept_until_signed_in(visit_form, live_server, password):
    visitor, url = visit_form
    with signed_in_browser(live_server, visitor, password) as (context, page):
        open_ready_form(page, url)
        fill_visit(page, summary="离线保存，会话过期")
        context.set_offline(True)
        submit(page)
        waiting(page, 1)

        Session.objects.all().delete()  # the session ran out while the phone was offline
        context.set_offline(False)
        page.wait_for_selector(f"{QUEUE} [data-visit-queue-link]:not([hidden])")
        text = page.inner_text(QUEUE)
        assert "Waiting to send (1)" in text
        assert "sign in again" in text
        assert not VisitRecord.objects.exists()

        # Signing in again (a new CSRF token): the kept submit is sent, one record.
        page.click(f"{QUEUE} [data-visit-queue-link]")
        page.wait_for_url("**/accounts/login/**")
        sign_in(page, page.url, visitor, password)
        page.wait_for_selector(f"{QUEUE}[data-count='0']:not([hidden])")
        assert VisitRecord.objects.get().summary == "离线保存，会话过期"
