"""Journey 5: the office approves a trip's route, then a home-visit team member plans a student into it (a
planning trip opens no student data: issue 13), writes the visit record on a phone that loses its connection,
loses nothing, submits once, and the follow-up lands in its owner's task list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from homevisits.demo import PLANNED_TRIP_TITLE
from homevisits.models import FollowUp, Trip, TripStudent, VisitDraft, VisitRecord
from homevisits.services.candidates import candidates_for
from portal.models import User

pytestmark = pytest.mark.browser

FAMILY = "父亲在外务工，母亲务农，妹妹读小学。"
SUMMARY = "家庭困难属实，学生懂事，建议关注就业。"


def _server_draft(planned: TripStudent) -> str:
    """The draft the server keeps (encrypted at rest, so read through the model)."""
    draft = VisitDraft.objects.filter(trip_student=planned).first()
    return draft.data if draft else ""


def test_plan_a_stop_write_the_visit_offline_submit_once_follow_up(browse, device):
    trip = Trip.objects.get(title=PLANNED_TRIP_TITLE)
    officer_user = User.objects.get(username="aidofficer")

    # --- The office approves the trip's route first: a planning trip opens no student data to its team. ----------
    # The phone run approves it; the desktop run, on the same demo school, finds it approved already.
    visitor = browse()
    visitor.login("visitor")
    if Trip.objects.get(pk=trip.pk).status == Trip.Status.PLANNING:
        refused = f"/homevisits/trips/{trip.pk}/candidates/"
        visitor.expect_failure(refused)
        response = visitor.page.goto(visitor.url(refused))
        assert response is not None and response.status == 403
        office = browse()
        office.login("aidofficer")
        office.goto(f"/homevisits/trips/{trip.pk}/")
        office.submit(f"form[action$='/trips/{trip.pk}/status/'] button[value={Trip.Status.APPROVED}]")
    assert Trip.objects.get(pk=trip.pk).status == Trip.Status.APPROVED

    # --- Then the trip's leader picks a student from the candidates of the approved route. -----------------------
    candidate = next(c for c in candidates_for(trip) if not c.on_this_trip)
    page = visitor.goto(f"/homevisits/trips/{trip.pk}/candidates/")
    visitor.submit(f"[data-testid=candidates] form:has(input[name=student][value='{candidate.student.pk}']) button")
    planned = TripStudent.objects.get(trip=trip, student=candidate.student)
    page = visitor.goto(f"/homevisits/trips/{trip.pk}/", screenshot="trip-plan")
    assert candidate.student.name in page.locator("[data-testid=trip-stops]").inner_text()

    # --- The visit form, in the field. ---------------------------------------------------------------------------
    page = visitor.goto(f"/homevisits/trips/{trip.pk}/")
    with page.expect_navigation():
        page.click(f"a[href$='/homevisits/planned/{planned.pk}/record/']")
    page = visitor.check(screenshot="visit-form")
    storage_key = f"nuanxin:visit-draft:{planned.pk}"

    # No signal: the form keeps what is typed in the browser; a draft save that fails meanwhile is expected.
    visitor.expect_failure(f"/homevisits/planned/{planned.pk}/draft/")
    visitor.context.set_offline(True)
    page.fill("textarea[name=family_members]", FAMILY)
    page.fill("textarea[name=summary]", SUMMARY)
    page.wait_for_function("([k, text]) => (localStorage.getItem(k) || '').includes(text)", arg=[storage_key, SUMMARY])
    assert SUMMARY not in _server_draft(planned)

    # Reloading while offline (the service worker serves the form) and the queued submit are tested in
    # homevisits/tests/test_offline_queue_browser.py; here the journey reloads right after the connection is
    # back: the text is still in the form, from this device's copy and from the server draft that the
    # returning connection sent.
    with page.expect_response(lambda r: "/draft/" in r.url and r.request.method == "POST") as saved:
        visitor.context.set_offline(False)
    assert saved.value.status == 200
    assert SUMMARY in _server_draft(planned)
    page.reload()
    page = visitor.check()
    page.wait_for_function("() => document.querySelector('textarea[name=summary]').value !== ''")
    assert page.input_value("textarea[name=family_members]") == FAMILY
    assert page.input_value("textarea[name=summary]") == SUMMARY

    # Submitted once: one record; the local copy is gone.
    page.check("input[name=family_agreed]")
    page = visitor.submit("form[data-visit-form] button[type=submit]")
    record = VisitRecord.objects.get(trip=trip, student=candidate.student)
    assert record.summary == SUMMARY and record.family_members == FAMILY
    assert VisitRecord.objects.filter(trip=trip, student=candidate.student).count() == 1
    assert page.evaluate("k => localStorage.getItem(k)", storage_key) is None

    # --- A follow-up for the aid office; it appears in the owner's task list. ---------------------------------------
    title = f"核实家庭收入并考虑临时困难补助（{device}）"
    form = page.locator(f"form[action$='/homevisits/records/{record.pk}/follow-ups/']")
    form.locator("select[name=kind]").select_option(FollowUp.Kind.TASK)
    form.locator("input[name=title]").fill(title)
    form.locator("select[name=owner]").select_option(str(officer_user.pk))
    form.locator("input[name=due_on]").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    visitor.submit(f"form[action$='/homevisits/records/{record.pk}/follow-ups/'] [type=submit]")
    assert FollowUp.objects.filter(record=record, owner=officer_user, title=title).exists()

    owner = browse()
    owner.login("aidofficer")
    page = owner.goto("/homevisits/follow-ups/")
    assert title in page.locator("main").inner_text()
    assert candidate.student.name in page.locator("main").inner_text()
