"""Screening instruments as data: the TOML definition format, its validation and its scoring engine.

The format is described for people in docs/instruments.md. This module is pure (no database, no models;
only gettext for the error messages): `parse_definition(text)` turns a file into a `Definition` or a list of
`DefinitionError`s, each with the line it is about; `Definition.score(answers)` turns raw answers into an
`Outcome` (total, band, factor scores, the safety level to raise a report at, positive or not).

Why TOML: the standard library reads it (tomllib), it allows comments (the citation and the reason for a
cut-off sit beside the number), and a counsellor can edit it in any text editor. tomllib reports the line
of a syntax error; for errors of meaning (a band gap, an unknown factor) `_LineFinder` maps the key path
back to a line by scanning the file, so every error is shown with a line number where one can be found.

Scoring rules, in order: each item's score is its answer's score (reversed items: lowest + highest − score);
the total is the sum of the scored items' scores; each factor is the sum or the mean of its items' scores;
rules are tried in file order, and every matching rule contributes its report level and positive flag, the
first matching rule with a `band` sets the band; otherwise the band is the one whose range holds the total.
The level to raise is the highest of the matching rules' and the band's `report`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

FORMAT_VERSION = 1
MAX_FILE_BYTES = 256 * 1024
MAX_ITEMS = 300
MAX_TEXT = 1000
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
REPORT_LEVELS = (1, 2, 3, 4)
TOP_KEYS = {
    "format",
    "code",
    "version",
    "name",
    "title",
    "stem",
    "summary",
    "citation",
    "terms",
    "redistributable",
    "option_sets",
    "items",
    "factors",
    "bands",
    "rules",
}
CONDITION_KEYS = {"total_at_least", "items", "at_least", "factor", "any_factor_at_least"}


class ScoringError(ValueError):
    """The answers do not fit the instrument (count or range)."""


@dataclass(frozen=True)
class DefinitionError:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Text:
    """A wording in both languages. `pick` chooses by the active language (Chinese for zh-*)."""

    zh: str
    en: str

    def pick(self, language: str | None = None) -> str:
        if language is None:
            language = get_language()
        return self.zh if (language or "").lower().startswith("zh") else self.en

    def __str__(self) -> str:
        return self.pick()


@dataclass(frozen=True)
class Option:
    value: int
    label: Text


@dataclass(frozen=True)
class Item:
    number: int  # 1-based, as printed on the questionnaire
    text: Text
    options: tuple[Option, ...]
    reverse: bool = False
    scored: bool = True

    def score_of(self, answer: int) -> int:
        if not self.reverse:
            return answer
        values = [o.value for o in self.options]
        return min(values) + max(values) - answer


@dataclass(frozen=True)
class Factor:
    code: str
    name: Text
    items: tuple[int, ...]
    method: str  # "sum" or "mean"


@dataclass(frozen=True)
class Band:
    code: str
    label: Text
    message: Text | None
    low: int | None
    high: int | None
    positive: bool
    report: int | None


@dataclass(frozen=True)
class Condition:
    total_at_least: int | None = None
    items: tuple[int, ...] = ()
    at_least: Fraction | None = None
    factor: str | None = None
    any_factor_at_least: Fraction | None = None


@dataclass(frozen=True)
class Rule:
    when: tuple[Condition, ...]
    band: str | None
    report: int | None
    positive: bool
    message: Text | None


@dataclass
class Outcome:
    total: int
    band: str
    factors: dict[str, float] = field(default_factory=dict)
    level: int | None = None  # the report level to raise, None for none
    positive: bool = False
    messages: list[Text] = field(default_factory=list)  # urgent kind words from matching rules


@dataclass(frozen=True)
class Definition:
    code: str
    version: int
    name: str
    title: Text
    stem: Text
    summary: Text | None
    citation: str
    terms: str
    redistributable: bool
    items: tuple[Item, ...]
    factors: tuple[Factor, ...]
    bands: tuple[Band, ...]
    rules: tuple[Rule, ...]
    checksum: str
    data: dict = field(repr=False, compare=False, hash=False)

    @property
    def min_total(self) -> int:
        return sum(min(o.value for o in i.options) for i in self.items if i.scored)

    @property
    def max_total(self) -> int:
        return sum(max(o.value for o in i.options) for i in self.items if i.scored)

    def band(self, code: str) -> Band | None:
        return next((b for b in self.bands if b.code == code), None)

    def band_label(self, code: str, language: str | None = None) -> str:
        band = self.band(code)
        return band.label.pick(language) if band else code

    def validate_answers(self, answers: object) -> list[int]:
        """One int per item, each one of that item's option values; ScoringError otherwise."""
        if not isinstance(answers, (list, tuple)) or len(answers) != len(self.items):
            raise ScoringError(f"{self.code} needs {len(self.items)} answers")
        cleaned = []
        for item, value in zip(self.items, answers, strict=True):
            # bool is an int in Python: True must not pass as a 1.
            if isinstance(value, bool) or not isinstance(value, int) or value not in {o.value for o in item.options}:
                raise ScoringError(f"answer {item.number} is not one of its options")
            cleaned.append(value)
        return cleaned

    def factor_scores(self, scores: list[int]) -> dict[str, Fraction]:
        out = {}
        for factor in self.factors:
            values = [scores[n - 1] for n in factor.items]
            out[factor.code] = Fraction(sum(values)) if factor.method == "sum" else Fraction(sum(values), len(values))
        return out

    def score(self, answers: object) -> Outcome:
        answers = self.validate_answers(answers)
        scores = [item.score_of(a) for item, a in zip(self.items, answers, strict=True)]
        total = sum(s for item, s in zip(self.items, scores, strict=True) if item.scored)
        factors = self.factor_scores(scores)
        band_code, levels, positive, messages = None, [], False, []
        for rule in self.rules:
            if not any(_holds(c, total, scores, factors) for c in rule.when):
                continue
            if rule.band and band_code is None:
                band_code = rule.band
            if rule.report:
                levels.append(rule.report)
            positive = positive or rule.positive or bool(rule.report)
            if rule.message:
                messages.append(rule.message)
        if band_code is None:
            band_code = next((b.code for b in self.bands if b.low is not None and b.low <= total <= b.high), None)
        if band_code is None:
            raise ScoringError(f"total {total} is outside the range of {self.code}")
        band = self.band(band_code)
        if band.report:
            levels.append(band.report)
        return Outcome(
            total=total,
            band=band_code,
            factors={k: round(float(v), 2) for k, v in factors.items()},
            level=max(levels) if levels else None,
            positive=positive or band.positive or bool(levels),
            messages=messages,
        )


def _holds(c: Condition, total: int, scores: list[int], factors: dict[str, Fraction]) -> bool:
    if c.total_at_least is not None:
        return total >= c.total_at_least
    if c.items:
        return any(scores[n - 1] >= c.at_least for n in c.items)
    if c.factor:
        return factors[c.factor] >= c.at_least
    if c.any_factor_at_least is not None:
        return any(v >= c.any_factor_at_least for v in factors.values())
    return False


def line_of(text: str, path: tuple) -> int | None:
    """The line of `text` a key path such as ("version",) or ("items", 2, "text") is written on, if found."""
    return _LineFinder(text).find(path)


# --- Lines of keys -----------------------------------------------------------------------------------------


class _LineFinder:
    """The line a key path is written on, by a simple scan: `[[items]]` headers are counted, a key is
    looked for between its table's header and the next one. Falls back to the table's header line."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[tuple[int, str]] = []  # (line number, table name) of each [table] / [[array]]
        for number, line in enumerate(self.lines, start=1):
            m = re.match(r"^\s*\[\[?\s*([A-Za-z0-9_.\"-]+)\s*\]\]?", line)
            if m:
                self.headers.append((number, m.group(1)))

    def _key_in(self, start: int, end: int, key: str) -> int | None:
        for number in range(start, end + 1):
            line = self.lines[number - 1] if number - 1 < len(self.lines) else ""
            if re.match(rf"^\s*{re.escape(key)}\s*(=|\.)", line):
                return number
        return None

    def find(self, path: tuple) -> int | None:
        if not path:
            return None
        if len(path) == 1 or not isinstance(path[1], int):
            first_header = self.headers[0][0] if self.headers else len(self.lines)
            top = self._key_in(1, first_header, str(path[0]))
            if top:
                return top
            for number, name in self.headers:
                if name == path[0]:
                    return number
            return None
        table, index = path[0], path[1]
        starts = [n for n, name in self.headers if name == table]
        if index >= len(starts):
            return self._key_in(1, len(self.lines), str(table))  # an inline array: the key's own line
        start = starts[index]
        later = [n for n, _name in self.headers if n > start]
        end = (later[0] - 1) if later else len(self.lines)
        if len(path) > 2:
            return self._key_in(start, end, str(path[2])) or start
        return start


# --- Parsing and validation ---------------------------------------------------------------------------------


class _Checker:
    def __init__(self, text: str) -> None:
        self.finder = _LineFinder(text)
        self.errors: list[DefinitionError] = []

    def error(self, path: tuple, message: str) -> None:
        self.errors.append(DefinitionError(self.finder.find(path), message))

    def text(self, value: Any, path: tuple, *, required: bool = True) -> Text | None:
        if value is None and not required:
            return None
        if isinstance(value, str):
            value = {"zh": value, "en": value}
        if not isinstance(value, dict) or set(value) != {"zh", "en"}:
            self.error(path, _("“%(key)s” needs a zh and an en wording.") % {"key": _key(path)})
            return None
        for lang in ("zh", "en"):
            if not isinstance(value[lang], str) or not value[lang].strip() or len(value[lang]) > MAX_TEXT:
                self.error(
                    path,
                    _("“%(key)s.%(lang)s” must be a text of 1 to %(max)s characters.")
                    % {"key": _key(path), "lang": lang, "max": MAX_TEXT},
                )
                return None
            if any(ord(ch) < 32 and ch not in "\n\t" for ch in value[lang]):
                self.error(path, _("“%(key)s” contains control characters.") % {"key": _key(path)})
                return None
        return Text(value["zh"].strip(), value["en"].strip())

    def integer(self, value: Any, path: tuple, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(
                path,
                _("“%(key)s” must be a whole number from %(low)s to %(high)s.")
                % {"key": _key(path), "low": low, "high": high},
            )
            return None
        return value

    def number(self, value: Any, path: tuple) -> Fraction | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1000 <= value <= 100000:
            self.error(path, _("“%(key)s” must be a number.") % {"key": _key(path)})
            return None
        return Fraction(str(value)) if isinstance(value, float) else Fraction(value)

    def flag(self, value: Any, path: tuple) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(path, _("“%(key)s” must be true or false.") % {"key": _key(path)})
            return False
        return value

    def table_list(self, data: dict, key: str, *, required: bool) -> list[dict]:
        value = data.get(key)
        if value is None:
            if required:
                self.error((key,), _("The file has no [[%(key)s]].") % {"key": key})
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.error((key,), _("“%(key)s” must be a list of tables ([[%(key)s]]).") % {"key": key})
            return []
        return value

    def unknown_keys(self, table: dict, allowed: set[str], path: tuple) -> None:
        for key in sorted(set(table) - allowed):
            self.error((*path, key), _("Unknown key “%(key)s”.") % {"key": _key((*path, key))})


def _key(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def checksum_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode(data: bytes) -> str:
    """The file's text (UTF-8, a BOM allowed); ValueError otherwise."""
    if len(data) > MAX_FILE_BYTES:
        raise ValueError("too large")
    return data.decode("utf-8-sig")


def parse_definition(text: str) -> tuple[Definition | None, list[DefinitionError]]:
    """The definition in `text`, or None and every error found (each with its line where known)."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return None, [DefinitionError(None, _("The file is larger than 256 KB."))]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 gives exc.lineno; before that the line is only in the message "… (at line 7, column 18)".
        message = getattr(exc, "msg", None) or str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        return None, [DefinitionError(line, _("Not valid TOML: %(error)s") % {"error": message})]
    except RecursionError:
        return None, [DefinitionError(None, _("Not valid TOML: nested too deeply."))]
    c = _Checker(text)
    c.unknown_keys(data, TOP_KEYS, ())
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        c.error(("format",), _("Only format = 1 is understood."))
    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        c.error(("code",), _("“code” must be 2–40 lowercase letters, digits or _, starting with a letter."))
        code = None
    version = c.integer(data.get("version"), ("version",), 1, 9999)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        c.error(("name",), _("“name” must be a short name of 1 to 40 characters, such as PHQ-9."))
        name = None
    title = c.text(data.get("title"), ("title",))
    stem = c.text(data.get("stem"), ("stem",))
    summary = c.text(data.get("summary"), ("summary",), required=False)
    citation, terms = data.get("citation"), data.get("terms")
    for key, value in (("citation", citation), ("terms", terms)):
        if not isinstance(value, str) or not value.strip() or len(value) > 4 * MAX_TEXT:
            c.error(
                (key,),
                _("“%(key)s” is required: where the instrument comes from and the terms of its use.") % {"key": key},
            )
    redistributable = c.flag(data.get("redistributable"), ("redistributable",))

    # Option sets: named answer scales (0–3, yes/no, 1–5).
    option_sets: dict[str, tuple[Option, ...]] = {}
    for i, table in enumerate(c.table_list(data, "option_sets", required=True)):
        c.unknown_keys(table, {"code", "options"}, ("option_sets", i))
        set_code = table.get("code")
        if not isinstance(set_code, str) or not CODE_RE.match(set_code):
            c.error(("option_sets", i, "code"), _("Each option set needs a code (lowercase letters, digits, _)."))
            continue
        raw = table.get("options")
        if not isinstance(raw, list) or not 2 <= len(raw) <= 10 or not all(isinstance(o, dict) for o in raw):
            c.error(("option_sets", i, "options"), _("An option set needs 2 to 10 options."))
            continue
        options = []
        for o in raw:
            value = c.integer(o.get("score"), ("option_sets", i, "options"), 0, 100)
            label = c.text(o.get("label"), ("option_sets", i, "options"))
            if set(o) - {"score", "label"}:
                c.error(("option_sets", i, "options"), _("An option has only a score and a label."))
            if value is not None and label is not None:
                options.append(Option(value, label))
        if len({o.value for o in options}) != len(options):
            c.error(("option_sets", i, "options"), _("Two options of a set have the same score."))
        if set_code in option_sets:
            c.error(("option_sets", i, "code"), _("The option set “%(code)s” is defined twice.") % {"code": set_code})
        option_sets[set_code] = tuple(options)
    default_set = next(iter(option_sets), None)

    items: list[Item] = []
    raw_items = c.table_list(data, "items", required=True)
    if len(raw_items) > MAX_ITEMS:
        c.error(("items",), _("At most %(max)s items.") % {"max": MAX_ITEMS})
        raw_items = raw_items[:MAX_ITEMS]
    for i, table in enumerate(raw_items):
        c.unknown_keys(table, {"text", "options", "reverse", "scored"}, ("items", i))
        text_ = c.text(table.get("text"), ("items", i, "text"))
        set_code = table.get("options", default_set)
        if set_code not in option_sets:
            if not option_sets:  # "the file has no [[option_sets]]" says it once
                continue
            c.error(
                ("items", i, "options"),
                _("Item %(n)s uses an unknown option set “%(code)s”.") % {"n": i + 1, "code": set_code},
            )
            continue
        reverse = c.flag(table.get("reverse"), ("items", i, "reverse"))
        scored = table.get("scored", True)
        if not isinstance(scored, bool):
            c.error(
                ("items", i, "scored"), _("“%(key)s” must be true or false.") % {"key": _key(("items", i, "scored"))}
            )
            scored = True
        if text_ is not None:
            items.append(Item(i + 1, text_, option_sets[set_code], reverse, scored))
    n_items = len(raw_items)

    def item_numbers(value: Any, path: tuple) -> tuple[int, ...]:
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            c.error(path, _("“%(key)s” must be a list of item numbers.") % {"key": _key(path)})
            return ()
        bad = [v for v in value if not 1 <= v <= n_items]
        if bad:
            c.error(
                path,
                _("Item numbers %(numbers)s do not exist (the file has %(n)s items).") % {"numbers": bad, "n": n_items},
            )
            return ()
        return tuple(value)

    factors: list[Factor] = []
    for i, table in enumerate(c.table_list(data, "factors", required=False)):
        c.unknown_keys(table, {"code", "name", "items", "method"}, ("factors", i))
        f_code = table.get("code")
        if not isinstance(f_code, str) or not CODE_RE.match(f_code):
            c.error(("factors", i, "code"), _("Each factor needs a code (lowercase letters, digits, _)."))
            continue
        if any(f.code == f_code for f in factors):
            c.error(("factors", i, "code"), _("The factor “%(code)s” is defined twice.") % {"code": f_code})
        f_name = c.text(table.get("name"), ("factors", i, "name"))
        numbers = item_numbers(table.get("items"), ("factors", i, "items"))
        method = table.get("method", "sum")
        if method not in ("sum", "mean"):
            c.error(("factors", i, "method"), _("“method” is sum or mean."))
        if f_name and numbers:
            factors.append(Factor(f_code, f_name, numbers, method))

    bands: list[Band] = []
    for i, table in enumerate(c.table_list(data, "bands", required=True)):
        c.unknown_keys(table, {"code", "label", "message", "min", "max", "positive", "report"}, ("bands", i))
        b_code = table.get("code")
        if not isinstance(b_code, str) or not CODE_RE.match(b_code):
            c.error(("bands", i, "code"), _("Each band needs a code (lowercase letters, digits, _)."))
            continue
        if any(b.code == b_code for b in bands):
            c.error(("bands", i, "code"), _("The band “%(code)s” is defined twice.") % {"code": b_code})
        label = c.text(table.get("label"), ("bands", i, "label"))
        message = c.text(table.get("message"), ("bands", i, "message"), required=False)
        low = high = None
        if ("min" in table) != ("max" in table):
            c.error(("bands", i), _("A band has both min and max, or neither (then only a rule sets it)."))
        elif "min" in table:
            low = c.integer(table["min"], ("bands", i, "min"), -10000, 100000)
            high = c.integer(table["max"], ("bands", i, "max"), -10000, 100000)
            if low is not None and high is not None and high < low:
                c.error(("bands", i, "max"), _("“max” is below “min”."))
        report = None
        if "report" in table:
            report = c.integer(table["report"], ("bands", i, "report"), 1, 4)
        positive = c.flag(table.get("positive"), ("bands", i, "positive"))
        if label:
            bands.append(Band(b_code, label, message, low, high, positive, report))

    rules: list[Rule] = []
    for i, table in enumerate(c.table_list(data, "rules", required=False)):
        c.unknown_keys(table, {"when", "band", "report", "positive", "message"}, ("rules", i))
        raw_when = table.get("when")
        if not isinstance(raw_when, list) or not raw_when or not all(isinstance(w, dict) for w in raw_when):
            c.error(("rules", i, "when"), _("“when” is a list of conditions, such as [{ total_at_least = 25 }]."))
            continue
        conditions = []
        for w in raw_when:
            path = ("rules", i, "when")
            if set(w) - CONDITION_KEYS:
                c.error(path, _("Unknown condition “%(keys)s”.") % {"keys": ", ".join(sorted(set(w) - CONDITION_KEYS))})
                continue
            if "total_at_least" in w and len(w) == 1:
                value = c.integer(w["total_at_least"], path, -10000, 100000)
                if value is not None:
                    conditions.append(Condition(total_at_least=value))
            elif "items" in w and set(w) == {"items", "at_least"}:
                numbers, at_least = item_numbers(w["items"], path), c.number(w["at_least"], path)
                if numbers and at_least is not None:
                    conditions.append(Condition(items=numbers, at_least=at_least))
            elif "factor" in w and set(w) == {"factor", "at_least"}:
                at_least = c.number(w["at_least"], path)
                if not any(f.code == w["factor"] for f in factors):
                    c.error(path, _("The rule names an unknown factor “%(code)s”.") % {"code": w["factor"]})
                elif at_least is not None:
                    conditions.append(Condition(factor=w["factor"], at_least=at_least))
            elif "any_factor_at_least" in w and len(w) == 1:
                at_least = c.number(w["any_factor_at_least"], path)
                if not factors:
                    c.error(path, _("any_factor_at_least needs at least one factor."))
                elif at_least is not None:
                    conditions.append(Condition(any_factor_at_least=at_least))
            else:
                c.error(
                    path,
                    _(
                        "A condition is one of: total_at_least; items with at_least; factor with at_least; "
                        "any_factor_at_least."
                    ),
                )
        band = table.get("band")
        if band is not None and not any(b.code == band for b in bands):
            c.error(("rules", i, "band"), _("The rule sets an unknown band “%(code)s”.") % {"code": band})
        report = c.integer(table["report"], ("rules", i, "report"), 1, 4) if "report" in table else None
        positive = c.flag(table.get("positive"), ("rules", i, "positive"))
        message = c.text(table.get("message"), ("rules", i, "message"), required=False)
        if band is None and report is None and not positive:
            c.error(("rules", i), _("A rule sets a band, raises a report or marks the result positive."))
        if conditions:
            rules.append(Rule(tuple(conditions), band, report, positive, message))

    # The ranged bands must cover every possible total once, with no gap or overlap, when there are any.
    if items and len(items) == n_items and not c.errors:
        ranged = sorted((b for b in bands if b.low is not None), key=lambda b: b.low)
        low_total = sum(min(o.value for o in i.options) for i in items if i.scored)
        high_total = sum(max(o.value for o in i.options) for i in items if i.scored)
        if ranged:
            expected = low_total
            for band in ranged:
                if band.low != expected:
                    c.error(
                        ("bands", bands.index(band), "min"),
                        _("Band “%(code)s” should start at %(expected)s (gap or overlap).")
                        % {"code": band.code, "expected": expected},
                    )
                expected = band.high + 1
            if expected - 1 != high_total:
                c.error(
                    ("bands", bands.index(ranged[-1]), "max"),
                    _("The last band ends at %(end)s but totals run from %(low)s to %(high)s.")
                    % {"end": expected - 1, "low": low_total, "high": high_total},
                )
        elif not any(r.band for r in rules):
            c.error(("bands",), _("No band has a range and no rule sets a band."))
        else:
            # Every result needs a band: a catch-all rule (total_at_least = the lowest total) gives one.
            if not any(
                r.band and any(cd.total_at_least is not None and cd.total_at_least <= low_total for cd in r.when)
                for r in rules
            ):
                c.error(
                    ("rules",),
                    _("Some answers would get no band: add a last rule with total_at_least = %(low)s and a band.")
                    % {"low": low_total},
                )

    if c.errors:
        # In file order; errors about something missing from the file (no line) first.
        return None, sorted(c.errors, key=lambda e: (e.line is not None, e.line or 0))
    return (
        Definition(
            code=code,
            version=version,
            name=name.strip(),
            title=title,
            stem=stem,
            summary=summary,
            citation=citation.strip(),
            terms=terms.strip(),
            redistributable=redistributable,
            items=tuple(items),
            factors=tuple(factors),
            bands=tuple(bands),
            rules=tuple(rules),
            checksum=checksum_of(text),
            data=data,
        ),
        [],
    )


@functools.lru_cache(maxsize=64)
def parse_cached(text: str) -> Definition:
    """A stored definition's parse, cached by its text (stored rows never change). ValueError if broken."""
    definition, errors = parse_definition(text)
    if definition is None:
        raise ValueError("; ".join(str(e) for e in errors))
    return definition
