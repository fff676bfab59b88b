"""FNC-1 scorer, accuracy, per-class and macro F1 and confusion matrix on hand-made labels."""

from __future__ import annotations

import pytest

from monitor.stance.metrics import (
    FNC_LABELS,
    accuracy,
    confusion,
    fnc_points,
    fnc_score,
    macro_f1,
    per_class,
)

GOLD = ["agree", "disagree", "discuss", "discuss", "unrelated", "unrelated"]


@pytest.mark.parametrize(
    ("predicted", "points", "score"),
    [
        # every label right: 4 related pairs at 1.0 and 2 unrelated at 0.25
        (GOLD, 4.5, 100.0),
        # the all-discuss baseline: 0.25 per right relatedness call + 0.75 per gold discuss
        (["discuss"] * 4 + ["unrelated"] * 2, 6 * 0.25 + 2 * 0.75, 300 / 4.5),
        # relatedness right everywhere but every related label wrong
        (["discuss", "agree", "agree", "agree", "unrelated", "unrelated"], 1.5, 150 / 4.5),
        # relatedness wrong everywhere
        (["unrelated"] * 4 + ["agree", "discuss"], 0.0, 0.0),
        # unrelated pairs called related lose their 0.25 only
        (["agree", "disagree", "discuss", "discuss", "agree", "discuss"], 4.0, 400 / 4.5),
    ],
)
def test_fnc_score(predicted: list[str], points: float, score: float) -> None:
    earned, best = fnc_points(GOLD, predicted)
    assert earned == pytest.approx(points)
    assert best == pytest.approx(4.5)
    assert fnc_score(GOLD, predicted) == pytest.approx(score)


def test_all_discuss_baseline_formula_on_fnc_proportions() -> None:
    # FNC-1 competition test counts: 1903 agree, 697 disagree, 4464 discuss, 18349 unrelated.
    gold = ["agree"] * 1903 + ["disagree"] * 697 + ["discuss"] * 4464 + ["unrelated"] * 18349
    predicted = ["discuss"] * (1903 + 697 + 4464) + ["unrelated"] * 18349
    related = 1903 + 697 + 4464
    expected = 100 * (0.25 * len(gold) + 0.75 * 4464) / (related + 0.25 * 18349)
    assert fnc_score(gold, predicted) == pytest.approx(expected)
    assert fnc_score(gold, predicted) == pytest.approx(83.26, abs=0.01)


def test_accuracy() -> None:
    assert accuracy(GOLD, GOLD) == 1.0
    assert accuracy(GOLD, ["discuss"] * 6) == pytest.approx(2 / 6)
    assert accuracy([], []) == 0.0


def test_confusion_rows_are_gold_and_columns_predicted() -> None:
    predicted = ["agree", "discuss", "discuss", "agree", "unrelated", "discuss"]
    assert confusion(GOLD, predicted) == [
        [1, 0, 0, 0],
        [0, 0, 1, 0],
        [1, 0, 1, 0],
        [0, 0, 1, 1],
    ]


def test_per_class_and_macro_f1() -> None:
    predicted = ["agree", "discuss", "discuss", "agree", "unrelated", "discuss"]
    scores = {s.label: s for s in per_class(GOLD, predicted)}
    assert [s.label for s in per_class(GOLD, predicted)] == list(FNC_LABELS)
    assert (scores["agree"].precision, scores["agree"].recall) == (0.5, 1.0)
    assert scores["agree"].f1 == pytest.approx(2 / 3)
    assert scores["disagree"].f1 == 0.0
    assert scores["discuss"].precision == pytest.approx(1 / 3)
    assert scores["discuss"].recall == 0.5
    assert scores["discuss"].f1 == pytest.approx(0.4)
    assert scores["unrelated"].f1 == pytest.approx(2 / 3)
    assert scores["unrelated"].support == 2
    assert macro_f1(GOLD, predicted) == pytest.approx((2 / 3 + 0 + 0.4 + 2 / 3) / 4)
    assert macro_f1(GOLD, GOLD) == 1.0


def test_macro_f1_over_chosen_labels() -> None:
    gold = ["agree", "disagree", "discuss"]
    assert macro_f1(gold, gold, labels=("agree", "disagree", "discuss")) == 1.0
    assert macro_f1(gold, gold) == 0.75  # unrelated has no gold and no predictions


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        fnc_score(["agree", "discuss"], ["agree"])
