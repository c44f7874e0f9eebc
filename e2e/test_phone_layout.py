"""Phone rules of issue 16 the demo data alone does not show: a long badge wraps, tap targets are big enough.

The phone walk (e2e/phone_walk.py) follows the demo school's pages as they are; these tests make the hard cases
first — a student already planned on three other trips, a row of tiny buttons — and check what a phone shows.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from e2e.conftest import AXE_SOURCE, BADGES_WRAP, TAP_TARGETS_RUN
from homevisits.demo import PLANNED_TRIP_TITLE
from homevisits.models import Trip, TripStop, TripStudent
from homevisits.services.candidates import candidates_for

pytestmark = pytest.mark.browser

OTHER_TRIPS = (
    "喀什地区疏附县、疏勒县家访（第二批）",
    "和田地区墨玉县、皮山县家访（第二批）",
    "阿克苏地区库车市家访（第三批）",
)
# The student's main pages, with the screenshot docs/design.md ("The look") shows of some of them.
STUDENT_PAGES = {
    "/": "",
    "/counseling/": "student-counselling",
    "/counseling/appointments/mine/": "student-no-appointment",
    "/counseling/report/": "",
    "/aid/": "student-aid",
    "/notifications/": "",
}


@pytest.fixture
def phone_only(device: str) -> None:
    if device != "phone":
        pytest.skip("a phone rule: on a desktop the badge has room")


def test_a_badge_carrying_a_sentence_wraps_at_375_px(phone_only, browse):
    # The demo's planned trip, approved (a planning trip shows its team no students: issue 13).
    trip = Trip.objects.get(title=PLANNED_TRIP_TITLE)
    status = trip.status
    Trip.objects.filter(pk=trip.pk).update(status=Trip.Status.APPROVED)
    candidate = next(c for c in candidates_for(trip) if not c.on_this_trip)
    others = []
    for title in OTHER_TRIPS:
        other = Trip.objects.create(
            year=trip.year,
            title=title,
            regions="新疆",
            leader=trip.leader,
            starts_on=trip.starts_on,
            ends_on=trip.ends_on,
            budget=Decimal("1000"),
            created_by=trip.leader,
        )
        stop = TripStop.objects.create(trip=other, position=1, province="新疆", planned_on=other.starts_on)
        TripStudent.objects.create(stop=stop, trip=other, student=candidate.student, added_by=trip.leader)
        others.append(other)
    try:
        visitor = browse()
        visitor.login("visitor")
        # check() fails if the page scrolls sideways on the phone.
        page = visitor.goto(f"/homevisits/trips/{trip.pk}/candidates/")
        badge = page.locator("[data-testid=conflict]", has_text=OTHER_TRIPS[2]).first
        assert all(title in badge.inner_text() for title in OTHER_TRIPS)
        box = badge.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
        line = badge.evaluate("b => parseFloat(getComputedStyle(b).fontSize)")
        assert box["height"] > 2.5 * line, f"the badge did not wrap: {box['height']} px high"
        assert page.evaluate(BADGES_WRAP) == []
    finally:
        for other in others:
            other.delete()
        Trip.objects.filter(pk=trip.pk).update(status=status)


def test_tap_targets_are_at_least_24_px_on_a_phone(phone_only, browse):
    me = browse()
    me.login("student")
    # Visit.check runs TAP_TARGETS_RUN on every page a phone journey checks; these are the student's main pages.
    # The demo student has no appointment booked: "My appointments" shows its empty state.
    for path, screenshot in STUDENT_PAGES.items():
        page = me.goto(path, screenshot=screenshot)
        if path == "/counseling/appointments/mine/":  # the empty list offers its next step
            assert page.locator("[data-testid=no-appointment] a[href$='/counseling/appointments/']").is_visible()
    # And the check does catch a target that is too small: two 12-px buttons side by side.
    page = me.page
    page.evaluate(
        """() => {
          for (const id of ['tiny-a', 'tiny-b']) {
            const b = document.createElement('button');
            b.id = id; b.type = 'button'; b.textContent = '×'; b.className = 'btn p-0 border-0';
            b.setAttribute('aria-label', id);
            // CSSOM, not a style attribute: the page's CSP allows the former only.
            Object.assign(b.style, {width: '12px', height: '12px', minWidth: '0', minHeight: '0', fontSize: '8px'});
            document.querySelector('main').prepend(b);
          }
        }"""
    )
    page.evaluate(AXE_SOURCE)
    small = page.evaluate(TAP_TARGETS_RUN)
    assert any("#tiny-a" in s for s in small) and any("#tiny-b" in s for s in small), small
