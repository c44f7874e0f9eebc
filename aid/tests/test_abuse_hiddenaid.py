"""Attacker stories of hidden aid (issue 13, finding 8): canteen figures are for aid officers only.

A station counsellor (or a college's aid reviewer) works on the *names* of the candidates of their college:
they add or remove a student with a reason. A student's meals, canteen spend, the rule's thresholds and the
subsidy amount (a top-up is the threshold minus the spend) are family finances, which counselling staff
never see (aid.access.hiddenaid.may_see_canteen_figures). A curious counsellor tries every hidden-aid URL, as a
page and as an htmx request, with searches and pages, and by adding students, and finds no figure anywhere.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse

from aid.access import hiddenaid as hidden_access
from aid.models import HiddenAidBatch
from aid.tests.test_hiddenaid_helpers import add_record, evaluated_batch, set_rules
from portal.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

MEALS = 87
SPEND = "123.45"
MIN_MEALS = 77
MAX_SPEND = "345.67"
AMOUNT = "222.22"  # the top-up: 345.67 - 123.45
# Distinctive enough to search the raw bytes for.
MONEY = (SPEND, MAX_SPEND, AMOUNT)
# Small integers: searched as whole words of the visible text (a CSRF token may well contain "87").
COUNTS = (str(MEALS), str(MIN_MEALS))


@pytest.fixture
def batch(world) -> HiddenAidBatch:
    set_rules({g: {"min_meals": MIN_MEALS, "max_spend": MAX_SPEND} for g in ("M", "F")} | {"mode": "top_up"})
    add_record(world.student_a, MEALS, SPEND)
    add_record(world.roommate_a, MEALS, SPEND)
    batch = evaluated_batch(world["aidofficer"])
    assert batch.candidates.get(student=world.student_a).amount == Decimal(AMOUNT)
    return batch


def _visible_text(body: str) -> str:
    without_scripts = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", without_scripts)


def figures_in(content: bytes) -> list[str]:
    """The canteen figures of the seeded students found in a response."""
    body = content.decode(errors="replace")
    text = _visible_text(body)
    found = [money for money in MONEY if money in body]
    found += [count for count in COUNTS if re.search(rf"(?<![\w.]){count}(?![\w.])", text)]
    return found


def _hidden_aid_url_names() -> set[str]:
    aid = get_resolver().namespace_dict["aid"][1]
    return {name for name in aid.reverse_dict if isinstance(name, str) and name.startswith("hiddenaid_")}


def _requests(world, batch) -> list[tuple[str, str, str, dict]]:
    """(url name, method, url, data): every hidden-aid URL, the ways a curious counsellor would try it."""
    candidate = batch.candidates.get(student=world.student_a)
    own = batch.candidates.get(student=world.roommate_a)
    detail = reverse("aid:hiddenaid_batch", args=[batch.pk])
    return [
        ("hiddenaid_index", "get", reverse("aid:hiddenaid_index"), {}),
        ("hiddenaid_import", "get", reverse("aid:hiddenaid_import"), {}),
        ("hiddenaid_evaluate", "post", reverse("aid:hiddenaid_evaluate"), {"month": "2025-03"}),
        ("hiddenaid_batch", "get", detail, {}),
        ("hiddenaid_batch", "get", detail, {"q": world.student_a.student_no}),
        ("hiddenaid_batch", "get", detail, {"q": world.student_a.name, "page": "2"}),
        ("hiddenaid_candidate_add", "post", reverse("aid:hiddenaid_candidate_add", args=[batch.pk]), {}),
        (
            "hiddenaid_candidate_remove",
            "post",
            reverse("aid:hiddenaid_candidate_remove", args=[candidate.pk]),
            {"reason": "已获其他资助"},
        ),
        ("hiddenaid_approve", "post", reverse("aid:hiddenaid_approve", args=[batch.pk]), {}),
        ("hiddenaid_pay", "post", reverse("aid:hiddenaid_pay", args=[batch.pk]), {}),
        ("hiddenaid_mine", "get", reverse("aid:hiddenaid_mine"), {}),
        ("hiddenaid_decline", "post", reverse("aid:hiddenaid_decline", args=[own.pk]), {}),
        ("hiddenaid_return", "post", reverse("aid:hiddenaid_return", args=[own.pk]), {}),
    ]


def test_the_rule_is_written_once_in_the_access_module(world):
    assert hidden_access.may_see_canteen_figures(world["aidofficer"])
    assert hidden_access.may_see_canteen_figures(world["admin"])
    for persona in ("station", "station_b", "aidreviewer", "counselor", "student", "visitor"):
        assert not hidden_access.may_see_canteen_figures(world[persona]), persona


def test_every_hidden_aid_url_is_tried_here(world, batch):
    """A new hidden-aid URL (an export, a partial) must join the list below before it ships."""
    assert _hidden_aid_url_names() == {name for name, *_ in _requests(world, batch)}


@pytest.mark.parametrize("persona", ["station", "aidreviewer"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_college_staff_find_no_canteen_figure_through_any_hidden_aid_url(world, batch, client_for, persona, htmx):
    client = client_for(world[persona])
    headers = {"HX-Request": "true"} if htmx else {}
    page = client.get(reverse("aid:hiddenaid_batch", args=[batch.pk]), headers=headers)
    assert page.status_code == 200
    assert world.student_a.name in page.content.decode()  # the names are there: they work on them
    for name, method, url, data in _requests(world, batch):
        response = getattr(client, method)(url, data, follow=True, headers=headers)
        assert response.status_code < 500, (name, response.status_code)
        assert figures_in(response.content) == [], (name, url, data)


def test_adding_a_student_neither_takes_nor_tells_an_amount(world, batch, client_for):
    """College staff cannot set an amount (the posted one is ignored: the rule's applies), and the answer for
    a student the rule gives nothing does not say "enter an amount"."""
    client = client_for(world["station"])
    url = reverse("aid:hiddenaid_candidate_add", args=[batch.pk])
    add_form = client.get(reverse("aid:hiddenaid_batch", args=[batch.pk])).content.decode()
    assert 'name="amount"' not in add_form
    newcomer = StudentFactory(class_group=world.class_a)
    add_record(newcomer, 12, SPEND)
    response = client.post(
        url, {"student_no": newcomer.student_no, "reason": "父亲病重", "amount": "1.00"}, follow=True
    )
    assert "was added to the batch" in response.content.decode()
    assert figures_in(response.content) == []
    assert batch.candidates.get(student=newcomer).amount == Decimal(AMOUNT)  # the rule's, not the posted 1.00

    nothing = StudentFactory(class_group=world.class_a)  # no canteen record: a top-up gives nothing
    response = client.post(url, {"student_no": nothing.student_no, "reason": "新生"}, follow=True)
    body = response.content.decode()
    assert "The aid office sets the amount for this student" in body
    assert "enter an amount" not in body
    assert not batch.candidates.filter(student=nothing).exists()


def test_the_aid_officer_still_sees_every_figure(world, batch, client_for):
    client = client_for(world["aidofficer"])
    page = client.get(reverse("aid:hiddenaid_batch", args=[batch.pk]))
    assert sorted(figures_in(page.content)) == sorted(MONEY + COUNTS)
    assert 'name="amount"' in page.content.decode()
