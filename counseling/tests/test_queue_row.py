"""The triage queue's row tag (counseling_tags.queue_row) against the template it replaced, kept here as the
reference: the same markup, text and translations for every kind of row, in both languages."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.template import Context, Template
from django.utils import timezone, translation

from counseling import selectors
from counseling.models import Case
from counseling.tests.factories import submit_report

pytestmark = pytest.mark.django_db

REFERENCE_ROW = "{% load i18n counseling_tags %}" + (Path(__file__).parent / "queue_row_reference.html").read_text()


def _normalised(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html).strip()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_kind_of_row_is_the_markup_the_template_wrote(world, language):
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        fresh = submit_report(reporter=world["student"], student=world.roommate_a).case
        overdue = submit_report(reporter=world["student"], student=world.student_b).case
        Case.objects.filter(pk=overdue.pk).update(ack_due_at=now - timedelta(hours=3, minutes=5))
        unmatched = submit_report(reporter=world["student"], student=None).case
        acknowledged = submit_report(reporter=world["student"], student=world.student_a).case
        Case.objects.filter(pk=acknowledged.pk).update(
            status=Case.Status.ACKNOWLEDGED,
            owner=world["station"],
            next_touchpoint=timezone.localdate() - timedelta(days=2),
        )
        rows = list(selectors.triage_queue(world["admin"]))
        assert {c.pk for c in rows} >= {fresh.pk, overdue.pk, unmatched.pk, acknowledged.pk}
        with translation.override(language):
            for case in rows:
                expected = Template(REFERENCE_ROW).render(Context({"case": case}))
                written = Template("{% load counseling_tags %}{% queue_row case %}").render(Context({"case": case}))
                assert _normalised(written) == _normalised(expected), case
        texts = " ".join(
            Template("{% load counseling_tags %}{% queue_row case %}").render(Context({"case": c})) for c in rows
        )
        assert "overdue by" in texts and "left" in texts and "unmatched" in texts and "acknowledged" in texts


def test_names_and_subjects_are_escaped(world):
    world.roommate_a.name = "<script>alert(1)</script>"
    world.roommate_a.save()
    submit_report(reporter=world["student"], student=world.roommate_a)
    html = "".join(
        Template("{% load counseling_tags %}{% queue_row case %}").render(Context({"case": c}))
        for c in selectors.triage_queue(world["admin"])
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
