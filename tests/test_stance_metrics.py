"""FNC-1 scorer, accuracy, per-class and macro F1, confusion matrix, bootstrap intervals and
paired differences on hand-made and random labels; the stance benchmark that prints them."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from monitor.stance.encoder import packaged_model_dir
from monitor.stance.metrics import (
    FNC_LABELS,
    Resampling,
    accuracy,
    bootstrap_intervals,
    confusion,
    confusion_scores,
    fnc_points,
    fnc_score,
    macro_f1,
    paired_difference_intervals,
    per_class,
)
from tests.benchmarks import stance_eval, stance_headlines_dev
from tests.fixtures_paths import require_shared

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


def random_labels(seed: int, size: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    return [rng.choice(FNC_LABELS) for _ in range(size)], [
        rng.choice(FNC_LABELS) for _ in range(size)
    ]


@pytest.mark.parametrize("seed", range(5))
def test_scores_from_confusion_counts_are_the_label_lists_figures(seed: int) -> None:
    gold, predicted = random_labels(seed, random.Random(seed).randint(1, 300))
    fnc, macro, f1 = confusion_scores(confusion(gold, predicted))
    assert float(fnc) == pytest.approx(fnc_score(gold, predicted))
    assert list(f1) == pytest.approx([s.f1 for s in per_class(gold, predicted)])
    assert float(macro) == pytest.approx(macro_f1(gold, predicted))


def test_scores_from_confusion_counts_keep_leading_axes_and_score_nothing_as_zero() -> None:
    right = confusion(["agree", "disagree"], ["agree", "disagree"])
    fnc, macro, _ = confusion_scores(np.stack([right, np.zeros((4, 4))]))
    assert fnc.tolist() == [100.0, 0.0]
    assert macro.tolist() == [0.5, 0.0]  # two labels of four, both right


def test_a_perfect_run_has_a_point_interval() -> None:
    gold, _ = random_labels(1, 200)
    intervals = bootstrap_intervals(
        gold, gold, [n // 4 for n in range(200)], Resampling(resamples=200)
    )
    assert intervals["fnc_score"].low == intervals["fnc_score"].high == 100.0


def test_bootstrap_intervals_hold_the_estimate_and_narrow_with_more_data() -> None:
    def noisy(size: int) -> tuple[list[str], list[str]]:
        rng = random.Random(size)
        gold = [rng.choice(FNC_LABELS) for _ in range(size)]
        return gold, [g if rng.random() < 0.7 else rng.choice(FNC_LABELS) for g in gold]

    widths = []
    for size in (200, 5000):
        gold, predicted = noisy(size)
        interval = bootstrap_intervals(
            gold, predicted, list(range(size)), Resampling(resamples=300)
        )
        fnc = interval["fnc_score"]
        assert fnc.low < fnc_score(gold, predicted) < fnc.high
        assert interval["macro_f1"].low < macro_f1(gold, predicted) < interval["macro_f1"].high
        widths.append(fnc.high - fnc.low)
    assert widths[1] < widths[0] / 3  # about sqrt(25) = 5 times narrower


def test_bootstrap_intervals_are_reproducible_and_resample_whole_groups() -> None:
    gold, predicted = random_labels(3, 400)
    groups = [n // 20 for n in range(400)]
    first = bootstrap_intervals(gold, predicted, groups, Resampling(resamples=100, seed=5))
    assert first == bootstrap_intervals(gold, predicted, groups, Resampling(resamples=100, seed=5))
    # Twenty copies of each pair in one group carry no more evidence than one pair each would.
    repeated = (
        [g for g in gold[:20] for _ in range(20)],
        [p for p in predicted[:20] for _ in range(20)],
    )
    as_groups = bootstrap_intervals(
        *repeated, [n // 20 for n in range(400)], Resampling(resamples=300)
    )
    as_pairs = bootstrap_intervals(*repeated, list(range(400)), Resampling(resamples=300))
    width = {
        k: v.high - v.low
        for k, v in (("groups", as_groups["fnc_score"]), ("pairs", as_pairs["fnc_score"]))
    }
    assert width["groups"] > 2 * width["pairs"]


def test_bootstrap_macro_f1_can_leave_labels_out() -> None:
    gold = ["agree", "disagree", "discuss"] * 30
    intervals = bootstrap_intervals(gold, gold, range(90), Resampling(macro_labels=FNC_LABELS[:3]))
    assert intervals["macro_f1"].low == 1.0  # no unrelated pairs: 0.75 over all four labels
    assert bootstrap_intervals(gold, gold, range(90))["macro_f1"].high == 0.75


def test_a_model_compared_with_itself_differs_by_nothing() -> None:
    gold, predicted = random_labels(4, 300)
    same = paired_difference_intervals(
        gold, predicted, predicted, range(300), Resampling(resamples=200)
    )
    assert all(interval.low == interval.high == 0.0 for interval in same.values())


def test_a_consistently_better_model_has_a_positive_paired_difference() -> None:
    rng = random.Random(6)
    gold = [rng.choice(FNC_LABELS) for _ in range(1000)]
    baseline = [g if rng.random() < 0.6 else rng.choice(FNC_LABELS) for g in gold]
    # The same answers, with the wrong ones at every tenth pair put right.
    pairs = enumerate(zip(gold, baseline, strict=True))
    better = [g if n % 10 == 0 else b for n, (g, b) in pairs]
    paired = paired_difference_intervals(
        gold, better, baseline, range(1000), Resampling(resamples=500)
    )
    assert paired["fnc_score"].low > 0
    assert paired["macro_f1"].low > 0
    separate = [
        bootstrap_intervals(gold, p, range(1000), Resampling(resamples=500))
        for p in (better, baseline)
    ]
    # The two separate intervals overlap; the paired one sees the gain.
    assert separate[0]["fnc_score"].low < separate[1]["fnc_score"].high


def test_bootstrap_needs_a_group_per_label() -> None:
    with pytest.raises(ValueError, match="groups"):
        bootstrap_intervals(["agree"], ["agree"], [])


def test_the_accuracy_on_pairs_seen_in_training_and_on_the_rest() -> None:
    gold = ["agree", "disagree", "discuss", "agree"]
    predicted = ["agree", "agree", "discuss", "discuss"]
    line = stance_eval.overlap_line(gold, predicted, [True, True, False, False])
    assert "0.5000 on 2 seen in FNC-1 train, 0.5000 on 2 the rest" in line
    line = stance_eval.overlap_line(gold, predicted, [True, False, True, True])
    assert "0.6667 on 3 seen in FNC-1 train, 0.0000 on 1 the rest" in line
    assert "- on 0 the rest" in stance_eval.overlap_line(gold, predicted, [True] * 4)


def test_the_stance_benchmark_prints_intervals_and_paired_differences(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_shared(shared_data / "emergent")
    shipped = str(packaged_model_dir())
    argv = ["--dataset", "emergent", "--limit", "40", "--model-dir", shipped]
    stance_eval.main([*argv, "--baseline-dir", shipped])
    out = capsys.readouterr().out
    assert "95% intervals (" in out
    assert "(article headline as an FNC-1 train headline)" in out
    against = out[out.index("against ") :]
    # The same model on both sides: every paired difference is exactly zero.
    assert against.count("+0.0000 to +0.0000") == 3


def test_the_headline_pairs_benchmark_prints_each_labels_recall(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_shared(shared_data / "fnc1")
    stance_headlines_dev.main(["--data", str(shared_data / "fnc1"), "--limit", "30"])
    out = capsys.readouterr().out
    assert "30 headline pairs of FNC-1 dev" in out
    rows = [line.split() for line in out.splitlines() if "recall" in line]
    assert [row[0] for row in rows] == ["agree", "disagree"]
    assert sum(int(n) for row in rows for n in row[1:5]) == 30
