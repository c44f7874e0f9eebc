"""PHQ-9 and GAD-7, and the loaded instruments: the public names the screening code imports (DOMAIN.md §2.4).

The instruments themselves are data now: TOML definition files (docs/instruments.md). PHQ-9 and GAD-7 ship
in counseling/instrument_definitions/ and the constants below (ANSWER_LABELS, BANDS, PHQ9, GAD7) are read
from those files when this module is imported, so the names other code imports keep working and the scores
and bands stay exactly as the tests check them. A college loads further instruments (manage.py
instrument_load, or the admin) into counseling.models.InstrumentDefinition; `definition()` and
`available_definitions()` reach those.

Both shipped instruments were developed by Drs. Robert L. Spitzer, Janet B. W. Williams, Kurt Kroenke and
colleagues with an educational grant from Pfizer Inc.; no permission is required to reproduce, translate,
display or distribute them. The Chinese wording is the standard Chinese version (患者健康问卷 PHQ-9,
广泛性焦虑量表 GAD-7); the English wording is the original. Item texts are not run through gettext: the
validated wording of each language lives in the definition and is picked by the active language, so a
translator can never paraphrase an item.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from counseling import instrument_format
from counseling.instrument_format import Definition, ScoringError
from counseling.models.screening import Instrument, InstrumentDefinition

if TYPE_CHECKING:
    from counseling.models import ScreeningResult

SHIPPED_DIR = Path(__file__).resolve().parent / "instrument_definitions"


def _load_shipped() -> dict[str, Definition]:
    shipped = {}
    for path in sorted(SHIPPED_DIR.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        definition, errors = instrument_format.parse_definition(text)
        if definition is None:  # a broken shipped file is a bug: fail loudly at import
            raise RuntimeError(f"{path.name}: " + "; ".join(str(e) for e in errors))
        shipped[definition.code] = definition
        SHIPPED_SOURCES[definition.code] = text
    # PHQ-9 first, then GAD-7: the order they are offered and answered in.
    order = list(Instrument.values)
    return dict(sorted(shipped.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0])))


# The definitions shipped with Nuanxin, by code (phq9, gad7), read from counseling/instrument_definitions/,
# and the text of each file (stored with the first result scored with it).
SHIPPED_SOURCES: dict[str, str] = {}
SHIPPED: dict[str, Definition] = _load_shipped()

ANSWER_VALUES = tuple(o.value for o in SHIPPED["phq9"].items[0].options)

# (Chinese, English), in answer order 0..3.
ANSWER_LABELS: tuple[tuple[str, str], ...] = tuple((o.label.zh, o.label.en) for o in SHIPPED["phq9"].items[0].options)

# A total of 10 or more on either instrument is a positive screen (a level-2 report, DOMAIN.md §2.4).
POSITIVE_TOTAL = 10
# PHQ-9 item 9 (thoughts of being better off dead or of self-harm), as a 0-based index into the answers.
PHQ9_ITEM9_INDEX = 8

# The scoring table: (lowest total, highest total, band code), exactly as published.
BANDS: dict[str, tuple[tuple[int, int, str], ...]] = {
    code: tuple((b.low, b.high, b.code) for b in SHIPPED[code].bands if b.low is not None)
    for code in (Instrument.PHQ9, Instrument.GAD7)
}

# Band names for counsellors (care e-file, campaign lists, the neutral report summary).
BAND_LABELS = {
    "minimal": _("minimal"),
    "mild": _("mild"),
    "moderate": _("moderate"),
    "moderately_severe": _("moderately severe"),
    "severe": _("severe"),
}


@dataclass(frozen=True)
class InstrumentSpec:
    code: str
    name: str
    title: tuple[str, str]  # (Chinese, English)
    stem: tuple[str, str]
    items: tuple[tuple[str, str], ...]

    @property
    def max_total(self) -> int:
        return 3 * len(self.items)


def _spec_of(definition: Definition) -> InstrumentSpec:
    return InstrumentSpec(
        code=definition.code,
        name=definition.name,
        title=(definition.title.zh, definition.title.en),
        stem=(definition.stem.zh, definition.stem.en),
        items=tuple((item.text.zh, item.text.en) for item in definition.items),
    )


PHQ9 = _spec_of(SHIPPED[Instrument.PHQ9])
GAD7 = _spec_of(SHIPPED[Instrument.GAD7])

INSTRUMENTS: dict[str, InstrumentSpec] = {PHQ9.code: PHQ9, GAD7.code: GAD7}


__all__ = [
    "ANSWER_LABELS",
    "ANSWER_VALUES",
    "BANDS",
    "BAND_LABELS",
    "GAD7",
    "INSTRUMENTS",
    "PHQ9",
    "PHQ9_ITEM9_INDEX",
    "POSITIVE_TOTAL",
    "SHIPPED",
    "SHIPPED_SOURCES",
    "Definition",
    "InstrumentSpec",
    "ScoringError",
    "answer_labels",
    "available_definitions",
    "band_for",
    "band_label",
    "definition",
    "definition_of",
    "is_positive",
    "item9",
    "item_texts",
    "pick",
    "result_is_positive",
    "score",
    "spec",
    "validate_answers",
]


def spec(instrument: str) -> InstrumentSpec | Definition:
    """PHQ-9 and GAD-7 as an InstrumentSpec; a loaded instrument as its current Definition (which has the
    same `code`, `name`, `title`, `stem` and `max_total`); ScoringError for an unknown code."""
    try:
        return INSTRUMENTS[instrument]
    except KeyError:
        found = definition(instrument)
        if found is None:
            raise ScoringError(f"unknown instrument {instrument!r}") from None
        return found


# The stored versions are read here, not through counseling.selectors: the selectors package imports the
# screening selectors, which import this module (portal/tests/test_import_rules.py refuses the cycle).


def definition_row_current(code: str) -> InstrumentDefinition | None:
    """The highest stored version of `code` (active or not), or None when none is stored yet. For a shipped
    instrument the current version is its file's (SHIPPED), stored on first use."""
    return InstrumentDefinition.objects.filter(code=code).order_by("-version").first()


def current_definition_rows() -> dict[str, InstrumentDefinition]:
    """The highest stored version of each code, in one query."""
    current: dict[str, InstrumentDefinition] = {}
    for row in InstrumentDefinition.objects.order_by("code", "-version").only(
        "pk", "code", "version", "active", "source"
    ):
        current.setdefault(row.code, row)
    return current


def definition(code: str) -> Definition | None:
    """The current (highest) version of an instrument, shipped or loaded; None when unknown."""
    if code in SHIPPED:  # the file in this release is the current version
        return SHIPPED[code]
    row = definition_row_current(code)
    return row.parsed() if row is not None else None


def available_definitions() -> list[Definition]:
    """Instruments students may take and the centre may choose now: the current version of each code, if that
    version is active. The shipped ones first (PHQ-9, GAD-7), then the loaded ones by code."""
    rows = current_definition_rows()
    out = []
    for code, shipped in SHIPPED.items():
        # The file in this release is the current version; withdrawn when its stored row was made inactive.
        row = rows.get(code)
        if row is None or row.version != shipped.version or row.active:
            out.append(shipped)
    out += [row.parsed() for code, row in sorted(rows.items()) if code not in SHIPPED and row.active]
    return out


def definition_of(result: ScreeningResult) -> Definition:
    """The definition a result was scored with (results from before definitions were data: version 1)."""
    if result.definition_id is not None:
        return result.definition.parsed()
    if result.instrument in SHIPPED:
        return SHIPPED[result.instrument]
    found = definition(result.instrument)
    if found is None:
        raise ScoringError(f"unknown instrument {result.instrument!r}")
    return found


def band_label(result: ScreeningResult, language: str | None = None) -> str:
    """The band of a result in words, from its definition (BAND_LABELS for PHQ-9/GAD-7)."""
    if result.band in BAND_LABELS and result.instrument in SHIPPED:
        return str(BAND_LABELS[result.band])
    try:
        return definition_of(result).band_label(result.band, language)
    except ScoringError:
        return result.band


def result_is_positive(result: ScreeningResult) -> bool:
    """A positive screen by the rules of the definition the result was scored with (stored at scoring time;
    results from before use today's PHQ-9/GAD-7 rule)."""
    if result.positive is not None:
        return result.positive
    return is_positive(result.instrument, result.total, result.answers)


def _lang_index(language: str | None = None) -> int:
    """0 for Chinese, 1 for anything else (English)."""
    return 0 if (language or get_language() or "").lower().startswith("zh") else 1


def pick(pair: tuple[str, str], language: str | None = None) -> str:
    return pair[_lang_index(language)]


def _loaded(instrument: str) -> Definition:
    found = definition(instrument)
    if found is None:
        raise ScoringError(f"unknown instrument {instrument!r}")
    return found


def item_texts(instrument: str, language: str | None = None) -> list[str]:
    if instrument not in INSTRUMENTS:
        return [item.text.pick(language) for item in _loaded(instrument).items]
    return [pick(item, language) for item in spec(instrument).items]


def answer_labels(language: str | None = None) -> list[tuple[int, str]]:
    return [(value, pick(ANSWER_LABELS[value], language)) for value in ANSWER_VALUES]


def band_for(instrument: str, total: int) -> str:
    """The band of a total from the band table (for a loaded instrument whose rules set bands, use
    `definition(code).score(answers)` instead: its band may depend on more than the total)."""
    table = BANDS.get(instrument) or tuple(
        (b.low, b.high, b.code) for b in _loaded(instrument).bands if b.low is not None
    )
    for low, high, band in table:
        if low <= total <= high:
            return band
    raise ScoringError(f"total {total} is outside the range of {instrument}")


def validate_answers(instrument: str, answers: list[int]) -> list[int]:
    """The answers as a list of ints, one per item, each 0–3 (each one of its item's options for a loaded
    instrument); ScoringError otherwise."""
    if instrument not in INSTRUMENTS:
        return _loaded(instrument).validate_answers(answers)
    items = spec(instrument).items
    if not isinstance(answers, (list, tuple)) or len(answers) != len(items):
        raise ScoringError(f"{instrument} needs {len(items)} answers")
    cleaned = []
    for value in answers:
        # bool is an int in Python: True must not pass as a 1.
        if isinstance(value, bool) or not isinstance(value, int) or value not in ANSWER_VALUES:
            raise ScoringError("every answer is 0, 1, 2 or 3")
        cleaned.append(value)
    return cleaned


def score(instrument: str, answers: list[int]) -> tuple[int, str]:
    """(total, band) of a complete set of answers (a loaded instrument: by its current version)."""
    if instrument not in INSTRUMENTS:
        outcome = _loaded(instrument).score(answers)
        return outcome.total, outcome.band
    answers = validate_answers(instrument, answers)
    total = sum(answers)
    return total, band_for(instrument, total)


def item9(instrument: str, answers: list[int]) -> int:
    """The answer to PHQ-9 item 9; 0 for GAD-7 (it has no such item)."""
    if instrument != Instrument.PHQ9 or len(answers) <= PHQ9_ITEM9_INDEX:
        return 0
    return int(answers[PHQ9_ITEM9_INDEX])


def is_positive(instrument: str, total: int, answers: list[int]) -> bool:
    """A positive screen: a total of 10 or more, or PHQ-9 item 9 above 0. For a loaded instrument, by the
    rules of its current version (prefer `result_is_positive(result)`, which uses the result's version)."""
    if instrument not in INSTRUMENTS:
        try:
            return _loaded(instrument).score(answers).positive
        except ScoringError:
            return False
    return total >= POSITIVE_TOTAL or item9(instrument, answers) > 0
