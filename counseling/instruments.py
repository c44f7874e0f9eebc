"""PHQ-9 and GAD-7: the items, the answer labels and the scoring table, kept in code (DOMAIN.md §2.4).

Both instruments were developed by Drs. Robert L. Spitzer, Janet B. W. Williams, Kurt Kroenke and
colleagues with an educational grant from Pfizer Inc.; no permission is required to reproduce, translate,
display or distribute them. The Chinese wording is the standard Chinese version (患者健康问卷 PHQ-9,
广泛性焦虑量表 GAD-7); the English wording is the original. Item texts are not run through gettext: the
validated wording of each language lives here and is picked by the active language, so a translator can
never paraphrase an item.

Scoring: every item is answered 0–3 about the last two weeks; the total is the sum; the band comes from
the published cut-offs (Kroenke, Spitzer & Williams 2001; Spitzer et al. 2006) in BANDS below.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from counseling.models.screening import Instrument

ANSWER_VALUES = (0, 1, 2, 3)

# (Chinese, English), in answer order 0..3.
ANSWER_LABELS: tuple[tuple[str, str], ...] = (
    ("完全不会", "Not at all"),
    ("好几天", "Several days"),
    ("一半以上的天数", "More than half the days"),
    ("几乎每天", "Nearly every day"),
)

# A total of 10 or more on either instrument is a positive screen (a level-2 report, DOMAIN.md §2.4).
POSITIVE_TOTAL = 10
# PHQ-9 item 9 (thoughts of being better off dead or of self-harm), as a 0-based index into the answers.
PHQ9_ITEM9_INDEX = 8

# The scoring table: (lowest total, highest total, band code), exactly as published.
BANDS: dict[str, tuple[tuple[int, int, str], ...]] = {
    Instrument.PHQ9: (
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately_severe"),
        (20, 27, "severe"),
    ),
    Instrument.GAD7: (
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 21, "severe"),
    ),
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


_STEM = (
    "在过去两个星期，有多少时候您受到以下任何问题所困扰？",
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
)

PHQ9 = InstrumentSpec(
    code=Instrument.PHQ9,
    name="PHQ-9",
    title=("患者健康问卷（PHQ-9）", "Patient Health Questionnaire (PHQ-9)"),
    stem=_STEM,
    items=(
        ("做事时提不起劲或没有兴趣", "Little interest or pleasure in doing things"),
        ("感到心情低落、沮丧或绝望", "Feeling down, depressed, or hopeless"),
        ("入睡困难、睡不安稳或睡眠过多", "Trouble falling or staying asleep, or sleeping too much"),
        ("感觉疲倦或没有活力", "Feeling tired or having little energy"),
        ("食欲不振或吃太多", "Poor appetite or overeating"),
        (
            "觉得自己很糟——或觉得自己很失败，或让自己或家人失望",
            "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
        ),
        (
            "对事物专注有困难，例如阅读报纸或看电视时",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
        ),
        (
            "动作或说话速度缓慢到别人已经察觉？或正好相反——烦躁或坐立不安、动来动去的情况更胜于平常",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
            "fidgety or restless that you have been moving around a lot more than usual",
        ),
        (
            "有不如死掉或用某种方式伤害自己的念头",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
    ),
)

GAD7 = InstrumentSpec(
    code=Instrument.GAD7,
    name="GAD-7",
    title=("广泛性焦虑量表（GAD-7）", "Generalized Anxiety Disorder scale (GAD-7)"),
    stem=_STEM,
    items=(
        ("感觉紧张、焦虑或急切", "Feeling nervous, anxious or on edge"),
        ("不能够停止或控制担忧", "Not being able to stop or control worrying"),
        ("对各种各样的事情担忧过多", "Worrying too much about different things"),
        ("很难放松下来", "Trouble relaxing"),
        ("由于不安而无法静坐", "Being so restless that it is hard to sit still"),
        ("变得容易烦恼或急躁", "Becoming easily annoyed or irritable"),
        ("感到似乎将有可怕的事情发生而害怕", "Feeling afraid as if something awful might happen"),
    ),
)

INSTRUMENTS: dict[str, InstrumentSpec] = {PHQ9.code: PHQ9, GAD7.code: GAD7}


class ScoringError(ValueError):
    """The answers do not fit the instrument (count or range)."""


def spec(instrument: str) -> InstrumentSpec:
    try:
        return INSTRUMENTS[instrument]
    except KeyError as exc:
        raise ScoringError(f"unknown instrument {instrument!r}") from exc


def _lang_index(language: str | None = None) -> int:
    """0 for Chinese, 1 for anything else (English)."""
    return 0 if (language or get_language() or "").lower().startswith("zh") else 1


def pick(pair: tuple[str, str], language: str | None = None) -> str:
    return pair[_lang_index(language)]


def item_texts(instrument: str, language: str | None = None) -> list[str]:
    return [pick(item, language) for item in spec(instrument).items]


def answer_labels(language: str | None = None) -> list[tuple[int, str]]:
    return [(value, pick(ANSWER_LABELS[value], language)) for value in ANSWER_VALUES]


def band_for(instrument: str, total: int) -> str:
    for low, high, band in BANDS[spec(instrument).code]:
        if low <= total <= high:
            return band
    raise ScoringError(f"total {total} is outside the range of {instrument}")


def validate_answers(instrument: str, answers: list[int]) -> list[int]:
    """The answers as a list of ints, one per item, each 0–3; ScoringError otherwise."""
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
    """(total, band) of a complete set of answers."""
    answers = validate_answers(instrument, answers)
    total = sum(answers)
    return total, band_for(instrument, total)


def item9(instrument: str, answers: list[int]) -> int:
    """The answer to PHQ-9 item 9; 0 for GAD-7 (it has no such item)."""
    if instrument != Instrument.PHQ9 or len(answers) <= PHQ9_ITEM9_INDEX:
        return 0
    return int(answers[PHQ9_ITEM9_INDEX])


def is_positive(instrument: str, total: int, answers: list[int]) -> bool:
    """A positive screen: a total of 10 or more, or PHQ-9 item 9 above 0."""
    return total >= POSITIVE_TOTAL or item9(instrument, answers) > 0
