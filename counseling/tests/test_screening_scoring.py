"""The scoring table, checked row by row against an expectation written independently of the code."""

import pytest

from counseling import instruments
from counseling.models import Instrument

# Written out by hand from the publications (Kroenke, Spitzer & Williams 2001; Spitzer et al. 2006),
# not computed from instruments.BANDS.
PHQ9_EXPECTED = (
    ["minimal"] * 5  # 0–4
    + ["mild"] * 5  # 5–9
    + ["moderate"] * 5  # 10–14
    + ["moderately_severe"] * 5  # 15–19
    + ["severe"] * 8  # 20–27
)
GAD7_EXPECTED = (
    ["minimal"] * 5  # 0–4
    + ["mild"] * 5  # 5–9
    + ["moderate"] * 5  # 10–14
    + ["severe"] * 7  # 15–21
)


def test_expectations_cover_every_possible_total():
    assert len(PHQ9_EXPECTED) == 28 and len(GAD7_EXPECTED) == 22


@pytest.mark.parametrize("total", range(28))
def test_phq9_band_of_every_total(total):
    assert instruments.band_for(Instrument.PHQ9, total) == PHQ9_EXPECTED[total]


@pytest.mark.parametrize("total", range(22))
def test_gad7_band_of_every_total(total):
    assert instruments.band_for(Instrument.GAD7, total) == GAD7_EXPECTED[total]


@pytest.mark.parametrize(("instrument", "total"), [(Instrument.PHQ9, 28), (Instrument.PHQ9, -1), (Instrument.GAD7, 22)])
def test_totals_outside_the_range_have_no_band(instrument, total):
    with pytest.raises(instruments.ScoringError):
        instruments.band_for(instrument, total)


def test_the_table_has_no_gaps_or_overlaps():
    for instrument, rows in instruments.BANDS.items():
        expected_low = 0
        for low, high, _band in rows:
            assert low == expected_low and high >= low
            expected_low = high + 1
        assert expected_low - 1 == instruments.spec(instrument).max_total


@pytest.mark.parametrize("total", range(28))
def test_score_sums_answers_and_bands_them(total):
    answers = [0] * 9
    left = total
    for i in range(9):
        answers[i] = min(3, left)
        left -= answers[i]
    assert instruments.score(Instrument.PHQ9, answers) == (total, PHQ9_EXPECTED[total])


def test_item_counts_and_wording():
    assert len(instruments.PHQ9.items) == 9 and len(instruments.GAD7.items) == 7
    assert instruments.item_texts(Instrument.PHQ9, "zh-hans")[0] == "做事时提不起劲或没有兴趣"
    assert instruments.item_texts(Instrument.PHQ9, "en")[8].startswith("Thoughts that you would be better off dead")
    assert instruments.item_texts(Instrument.GAD7, "zh-hans")[0] == "感觉紧张、焦虑或急切"
    assert [label for _v, label in instruments.answer_labels("zh-hans")] == [
        "完全不会",
        "好几天",
        "一半以上的天数",
        "几乎每天",
    ]
    assert [label for _v, label in instruments.answer_labels("en")] == [
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    ]


@pytest.mark.parametrize(
    "answers",
    [
        [0] * 8,  # one missing
        [0] * 10,  # one too many
        [0] * 8 + [4],  # outside 0–3
        [0] * 8 + [-1],
        [0] * 8 + ["1"],  # not an int
        [0] * 8 + [True],  # a bool is not an answer
        [0] * 8 + [1.0],
        None,
    ],
)
def test_bad_answers_are_refused(answers):
    with pytest.raises(instruments.ScoringError):
        instruments.score(Instrument.PHQ9, answers)


def test_positive_screen_rule():
    assert instruments.is_positive(Instrument.PHQ9, 1, [0] * 8 + [1])
    assert instruments.is_positive(Instrument.GAD7, 10, [3, 3, 3, 1, 0, 0, 0])
    assert not instruments.is_positive(Instrument.PHQ9, 9, [1] * 8 + [0] + [])
    # GAD-7 has no item 9: its 7th answer is not read as one.
    assert not instruments.is_positive(Instrument.GAD7, 3, [0, 0, 0, 0, 0, 0, 3])
