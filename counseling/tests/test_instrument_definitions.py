"""Instruments as data (docs/instruments.md): the shipped PHQ-9/GAD-7 files score exactly as the published
tables, made-up UPI-shaped and SCL-90-shaped definitions classify correctly at their boundaries, a bad file
lists every error with its line and changes nothing, and a result keeps the version it was scored with."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from counseling import instruments
from counseling.instrument_format import parse_definition
from counseling.models import Instrument, InstrumentDefinition, Level, ScreeningResult
from counseling.services import instrument_definition_load, screening_submit
from portal.models import AuditEvent
from portal.services import DomainError

FILES = Path(__file__).parent / "instrument_files"
UPI = (FILES / "upi_like.toml").read_text(encoding="utf-8")
SCL = (FILES / "scl_like.toml").read_text(encoding="utf-8")


def definition(text: str):
    found, errors = parse_definition(text)
    assert errors == []
    return found


# --- The shipped files score exactly like the published tables (and the code before them) -------------------


def _legacy_level(code: str, answers: list[int]) -> int | None:
    """Today's rule, written out independently: item 9 > 0 → 3; else a total ≥ 10 → 2."""
    if code == "phq9" and answers[8] > 0:
        return 3
    return 2 if sum(answers) >= 10 else None


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_the_shipped_definitions_agree_with_the_published_scoring_for_every_total(code):
    shipped = instruments.SHIPPED[code]
    n = len(shipped.items)
    for total in range(3 * n + 1):
        for item9 in (0, 1, 3):  # the last item answered 0, 1 or 3, the rest filling up the total
            rest = total - item9
            if not 0 <= rest <= 3 * (n - 1):
                continue
            answers = [min(3, max(0, rest - 3 * i)) for i in range(n - 1)] + [item9]
            outcome = shipped.score(answers)
            assert (outcome.total, outcome.band) == instruments.score(code, answers)
            assert outcome.level == _legacy_level(code, answers)
            assert outcome.positive == instruments.is_positive(code, total, answers)


def test_the_public_names_still_come_out_of_the_files():
    assert instruments.ANSWER_VALUES == (0, 1, 2, 3)
    assert instruments.BANDS[Instrument.GAD7][-1] == (15, 21, "severe")
    assert instruments.PHQ9.max_total == 27 and instruments.GAD7.max_total == 21
    assert list(instruments.SHIPPED) == ["phq9", "gad7"]
    for shipped in instruments.SHIPPED.values():
        assert shipped.redistributable and "Pfizer" in shipped.terms and shipped.citation


# --- Made-up shapes at their boundaries -----------------------------------------------------------------------


def upi(*yes: int) -> list[int]:
    return [1 if n in yes else 0 for n in range(1, 13)]


@pytest.mark.parametrize(
    ("answers", "band", "level"),
    [
        (upi(), "class3", None),
        (upi(1, 2, 6, 9), "class3", None),  # total 4: below the cut-off
        (upi(1, 2, 6, 9, 11), "class1", 2),  # total 5: the cut-off
        (upi(1, 2, 5, 6, 9), "class3", None),  # item 5 is a lie item: not counted (total 4)
        (upi(7), "class1", 2),  # a key item alone
        (upi(10), "class1", 2),  # wants counselling, alone
        (upi(4), "class2", None),
        (upi(8), "class2", None),
        (upi(4, 10), "class1", 2),  # class 1 wins over class 2
        (upi(3), "class1", 3),  # the self-harm key item: level 3 whatever the total
    ],
)
def test_a_upi_shaped_definition_classifies_at_its_boundaries(answers, band, level):
    outcome = definition(UPI).score(answers)
    assert (outcome.band, outcome.level) == (band, level)
    assert outcome.positive == (band != "class3")


def scl(*answers: int) -> list[int]:
    return list(answers)


@pytest.mark.parametrize(
    ("answers", "band", "factors"),
    [
        (scl(1, 1, 1, 1, 1, 1, 1, 1, 1, 5), "negative", {"somatic": 1.0, "anxiety": 1.0, "mood": 1.0}),
        # Somatization mean exactly 2 → positive; 5/3 → not by that factor.
        (scl(2, 2, 2, 1, 1, 1, 1, 1, 1, 5), "positive", {"somatic": 2.0, "anxiety": 1.0, "mood": 1.0}),
        (scl(2, 2, 1, 1, 1, 1, 1, 1, 1, 5), "negative", {"somatic": 1.67, "anxiety": 1.0, "mood": 1.0}),
        # Every factor below 2, total 16 (the cut-off) → positive; 15 → negative.
        (scl(2, 2, 1, 2, 2, 2, 1, 1, 1, 4), "positive", {"somatic": 1.67, "anxiety": 1.75, "mood": 1.33}),
        (scl(2, 2, 1, 2, 2, 1, 1, 1, 1, 4), "negative", {"somatic": 1.67, "anxiety": 1.5, "mood": 1.33}),
        # Item 10 is reverse-scored: answering 1 ("not at all hopeful") scores 5.
        (scl(1, 1, 1, 1, 1, 1, 1, 1, 1, 1), "positive", {"somatic": 1.0, "anxiety": 1.0, "mood": 2.33}),
    ],
)
def test_an_scl90_shaped_definition_classifies_at_its_boundaries(answers, band, factors):
    outcome = definition(SCL).score(answers)
    assert (outcome.band, outcome.factors) == (band, factors)
    assert outcome.positive == (band == "positive") and outcome.level is None


def test_answers_must_be_one_of_each_items_options():
    scl_def, upi_def = definition(SCL), definition(UPI)
    for bad in ([0] * 10, [6] * 10, [1] * 9, [True] * 10, ["1"] * 10, None):
        with pytest.raises(instruments.ScoringError):
            scl_def.score(bad)
    with pytest.raises(instruments.ScoringError):
        upi_def.score([2] * 12)


def test_every_combination_of_a_small_yes_no_file_gets_a_band():
    upi_def = definition(UPI)
    for answers in itertools.product((0, 1), repeat=12):
        assert upi_def.score(list(answers)).band in {"class1", "class2", "class3"}


# --- Bad files: every error, with its line; nothing changed ----------------------------------------------------

BAD = """\
format = 1
code = "Bad Code"
version = 0
name = "Bad"
title = { zh = "坏的" }
stem = { zh = "题干", en = "Stem" }
citation = "x"
terms = "y"

[[option_sets]]
code = "yesno"
options = [{ score = 0, label = { zh = "否", en = "No" } }, { score = 1, label = { zh = "是", en = "Yes" } }]

[[items]]
text = { zh = "一", en = "One" }

[[items]]
text = { zh = "二", en = "Two" }
options = "fivepoint"

[[factors]]
code = "ff"
name = { zh = "因子", en = "Factor" }
items = [1, 7]

[[bands]]
code = "low"
min = 0
max = 0
label = { zh = "低", en = "low" }

[[rules]]
when = [{ factor = "nope", at_least = 2 }]
band = "missing"
colour = "red"
"""


@pytest.mark.django_db
def test_a_bad_file_lists_every_error_with_its_line_and_changes_nothing():
    before = InstrumentDefinition.objects.count()
    result = instrument_definition_load(actor=None, data=BAD.encode(), filename="bad.toml")
    assert not result.ok and result.definition is None
    by_line = {e.line for e in result.errors}
    assert {2, 3, 5, 19, 24, 33, 34, 35} <= by_line, result.errors
    messages = " | ".join(str(e) for e in result.errors)
    for fragment in ("code", "version", "title", "fivepoint", "[7]", "nope", "missing", "colour"):
        assert fragment in messages
    assert InstrumentDefinition.objects.count() == before
    assert not AuditEvent.objects.filter(action="instrument_definition.loaded").exists()


@pytest.mark.django_db
def test_a_toml_syntax_error_names_its_line():
    broken = UPI.replace('name = "UPI-like"', 'name = "UPI-like', 1)
    result = instrument_definition_load(actor=None, data=broken.encode(), filename="x.toml")
    assert len(result.errors) == 1 and result.errors[0].line == 7


@pytest.mark.django_db
def test_band_gaps_and_overlaps_are_errors():
    text = (FILES.parent.parent / "instrument_definitions" / "gad7.toml").read_text(encoding="utf-8")
    text = text.replace('code = "gad7"', 'code = "gad7_copy"').replace("min = 10", "min = 11")
    found, errors = parse_definition(text)
    assert found is None and any("should start at 10" in e.message for e in errors)
    assert all(e.line for e in errors)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe\x00garbage",
        b"\x00" * 10,
        b"x" * (300 * 1024),
        "a = [" * 500,
        "",
        "[[items]]\n" * 400,
        '<script>alert(1)</script> = "x"',
    ],
)
def test_hostile_files_are_refused_with_errors_never_an_exception(data):
    result = instrument_definition_load(actor=None, data=data, filename="hostile.toml")
    assert result.errors and InstrumentDefinition.objects.count() == 0


@pytest.mark.django_db
def test_the_shipped_codes_are_reserved_and_a_version_never_changes(world):
    phq9 = (FILES.parent.parent / "instrument_definitions" / "phq9.toml").read_text(encoding="utf-8")
    assert not instrument_definition_load(actor=None, data=phq9, filename="phq9.toml").ok
    first = instrument_definition_load(actor=world["admin"], data=UPI, filename="upi.toml")
    assert first.created and first.definition.version == 1
    again = instrument_definition_load(actor=world["admin"], data=UPI, filename="upi.toml")
    assert again.ok and not again.created and again.definition == first.definition
    changed = instrument_definition_load(actor=None, data=UPI.replace("Poor appetite", "Appetite"), filename="u.toml")
    assert not changed.ok and changed.errors[0].line == 6  # the version line
    assert InstrumentDefinition.objects.filter(code="upi_like").count() == 1
    event = AuditEvent.objects.get(action="instrument_definition.loaded")
    assert event.actor == world["admin"] and event.changes["version"] == 1


@pytest.mark.django_db
def test_the_command_loads_a_file_and_refuses_a_bad_one(tmp_path, capsys):
    good, bad = tmp_path / "scl.toml", tmp_path / "bad.toml"
    good.write_text(SCL, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    call_command("instrument_load", str(good), "--check")
    assert not InstrumentDefinition.objects.exists()
    call_command("instrument_load", str(good))
    assert InstrumentDefinition.objects.get().code == "scl_like"
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("instrument_load", str(bad))
    assert "bad.toml:2:" in capsys.readouterr().err
    assert InstrumentDefinition.objects.count() == 1


# --- Results keep their version; safety rules of a loaded instrument -----------------------------------------


def submit(student, code, answers):
    return screening_submit(student=student, instrument=code, answers=answers, idempotency_key=uuid.uuid4())


@pytest.mark.django_db
def test_a_result_keeps_its_version_after_a_new_version_is_loaded(world):
    instrument_definition_load(actor=None, data=UPI, filename="upi.toml")
    old = submit(world.student_a, "upi_like", upi(1, 2, 6, 9, 11))  # total 5: class 1 under version 1
    assert (old.band, old.definition.version, old.positive) == ("class1", 1, True)
    v2 = UPI.replace("version = 1", "version = 2").replace("{ total_at_least = 5 }", "{ total_at_least = 6 }")
    assert instrument_definition_load(actor=None, data=v2, filename="upi2.toml").created
    new = submit(world.student_a, "upi_like", upi(1, 2, 6, 9, 11))  # the same answers: class 3 under version 2
    assert (new.band, new.definition.version, new.positive) == ("class3", 2, False)
    old.refresh_from_db()
    assert (old.band, old.definition.version) == ("class1", 1)
    assert instruments.definition_of(old).version == 1 and instruments.result_is_positive(old)


@pytest.mark.django_db
def test_the_shipped_results_record_their_definition_version(world):
    result = submit(world.student_a, Instrument.PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.definition.code == "phq9" and result.definition.shipped and result.definition.version == 1
    assert result.raised_report.case.level == Level.HIGH and result.positive is True
    # Results saved before definitions were data have no version: they read as version 1.
    ScreeningResult.objects.filter(pk=result.pk).update(definition=None, positive=None)
    result.refresh_from_db()
    assert instruments.definition_of(result).version == 1 and instruments.result_is_positive(result)


@pytest.mark.django_db
def test_a_loaded_key_item_raises_a_level3_report_and_a_band_a_level2_one(world):
    instrument_definition_load(actor=None, data=UPI, filename="upi.toml")
    urgent = submit(world.student_a, "upi_like", upi(3))
    assert urgent.raised_report.case.level == Level.HIGH
    assert "UPI-like" in urgent.raised_report.narrative and "class 1" in urgent.raised_report.narrative
    key = submit(world.student_b, "upi_like", upi(10))
    assert key.raised_report.case.level == Level.KEY
    calm = submit(world.roommate_a, "upi_like", upi(4))
    assert calm.raised_report is None and calm.band == "class2" and calm.positive


@pytest.mark.django_db
def test_an_inactive_or_unknown_instrument_cannot_be_submitted(world):
    with pytest.raises(DomainError):
        submit(world.student_a, "upi_like", upi())
    row = instrument_definition_load(actor=None, data=UPI, filename="upi.toml").definition
    row.active = False
    row.save()
    with pytest.raises(DomainError):
        submit(world.student_a, "upi_like", upi())
    assert not ScreeningResult.objects.exists()


@pytest.mark.django_db
def test_scl_factor_scores_are_stored_with_the_result(world):
    instrument_definition_load(actor=None, data=SCL, filename="scl.toml")
    result = submit(world.student_a, "scl_like", scl(2, 2, 2, 1, 1, 1, 1, 1, 1, 5))
    assert result.factors == {"somatic": 2.0, "anxiety": 1.0, "mood": 1.0}
    assert (result.total, result.band, result.positive, result.raised_report) == (13, "positive", True, None)


@pytest.mark.django_db
def test_the_students_data_copy_names_a_loaded_instruments_band_in_words(world):
    from counseling.personal_data import _screening

    instrument_definition_load(actor=None, data=SCL, filename="scl.toml")
    submit(world.student_a, "scl_like", [2, 2, 2, 1, 1, 1, 1, 1, 1, 5])
    submit(world.student_a, Instrument.GAD7, [2, 2, 2, 1, 1, 1, 1])
    rows = _screening(world.student_a)
    assert {str(v) for row in rows for v in row.values()} >= {"SCL-like", "positive", "GAD-7", "moderate"}


@pytest.mark.django_db
def test_a_new_release_of_a_shipped_file_scores_new_results_and_leaves_old_ones(world, monkeypatch):
    old = submit(world.student_a, Instrument.GAD7, [2, 2, 2, 1, 1, 1, 1])  # 10: moderate under version 1
    text = instruments.SHIPPED_SOURCES["gad7"].replace("version = 1", "version = 2").replace("min = 10", "min = 11")
    text = text.replace("max = 9", "max = 10")  # a made-up release moving the cut-off, to see versions apart
    monkeypatch.setitem(instruments.SHIPPED, "gad7", definition(text))
    monkeypatch.setitem(instruments.SHIPPED_SOURCES, "gad7", text)
    new = submit(world.student_b, Instrument.GAD7, [2, 2, 2, 1, 1, 1, 1])
    assert (new.band, new.definition.version, new.raised_report) == ("mild", 2, None)
    old.refresh_from_db()
    assert (old.band, old.definition.version) == ("moderate", 1) and old.raised_report is not None
    assert InstrumentDefinition.objects.filter(code="gad7").count() == 2


def test_option_scores_are_whole_numbers_from_0_to_100():
    for bad in ("score = -1", "score = 101", "score = 0.5", 'score = "0"'):
        found, errors = parse_definition(UPI.replace("score = 0", bad, 1))
        assert found is None and errors[0].line == 17, (bad, errors)  # the options line of the set
