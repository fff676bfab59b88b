"""Scoring of stance labels: FNC-1 score, accuracy, per-class and macro F1, confusion, and
bootstrap intervals. Pure.

Labels are FNC-1's: agree, disagree, discuss, unrelated (see `Stance.fnc_label`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FNC_LABELS = ("agree", "disagree", "discuss", "unrelated")
RELATED = frozenset({"agree", "disagree", "discuss"})


def _check(gold: Sequence[str], predicted: Sequence[str]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")


def fnc_points(gold: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """FNC-1 points earned and the maximum: 0.25 for the related/unrelated call, 0.75 more for
    the exact label of a related pair."""
    _check(gold, predicted)
    earned = 0.0
    best = 0.0
    for truth, guess in zip(gold, predicted, strict=True):
        best += 1.0 if truth in RELATED else 0.25
        if (truth in RELATED) == (guess in RELATED):
            earned += 0.25
            if truth in RELATED and truth == guess:
                earned += 0.75
    return earned, best


def fnc_score(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """The FNC-1 score as a percentage of the maximum possible (100.0 when every label is right)."""
    earned, best = fnc_points(gold, predicted)
    return 100.0 * earned / best if best else 0.0


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of exactly right labels, in [0, 1]."""
    _check(gold, predicted)
    if not gold:
        return 0.0
    return sum(t == p for t, p in zip(gold, predicted, strict=True)) / len(gold)


def confusion(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = FNC_LABELS
) -> list[list[int]]:
    """Counts: row = gold label, column = predicted label, both in the order of `labels`."""
    _check(gold, predicted)
    counts = Counter(zip(gold, predicted, strict=True))
    return [[counts[(truth, guess)] for guess in labels] for truth in labels]


@dataclass(frozen=True, slots=True)
class ClassScore:
    """Precision, recall and F1 of one label, and how many gold pairs carry it."""

    label: str
    precision: float
    recall: float
    f1: float
    support: int


def per_class(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = FNC_LABELS
) -> list[ClassScore]:
    """Precision, recall and F1 for each label (0.0 where undefined)."""
    matrix = confusion(gold, predicted, labels)
    scores: list[ClassScore] = []
    for i, label in enumerate(labels):
        hits = matrix[i][i]
        predicted_count = sum(row[i] for row in matrix)
        gold_count = sum(matrix[i])
        precision = hits / predicted_count if predicted_count else 0.0
        recall = hits / gold_count if gold_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(ClassScore(label, precision, recall, f1, gold_count))
    return scores


def macro_f1(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = FNC_LABELS
) -> float:
    """Unweighted mean of the per-class F1 over `labels`."""
    scores = per_class(gold, predicted, labels)
    return sum(s.f1 for s in scores) / len(scores) if scores else 0.0


def confusion_scores(matrix: Any) -> tuple[Any, Any, Any]:
    """FNC score (percent), macro-F1 and per-label F1 from confusion counts (gold x predicted,
    4 x 4 in FNC_LABELS order in the last two axes; leading axes are kept): the figures of
    `fnc_score` and `per_class`, for many matrices at once."""
    counts = np.asarray(matrix, dtype=float)
    hits = np.diagonal(counts, axis1=-2, axis2=-1)
    best = counts[..., :3, :].sum(axis=(-2, -1)) + 0.25 * counts[..., 3, :].sum(axis=-1)
    earned = 0.25 * (counts[..., :3, :3].sum(axis=(-2, -1)) + hits[..., 3])
    earned = earned + 0.75 * hits[..., :3].sum(axis=-1)
    fnc = np.where(best > 0, 100.0 * earned / np.maximum(best, 1e-12), 0.0)
    spread = counts.sum(axis=-2) + counts.sum(axis=-1)  # 2 tp + fp + fn
    f1 = np.where(spread > 0, 2.0 * hits / np.maximum(spread, 1e-12), 0.0)
    return fnc, f1.mean(axis=-1), f1


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


def _group_confusions(
    gold: Sequence[str], predicted: Sequence[str], groups: Sequence[Hashable]
) -> Any:
    """Confusion counts per group, (groups, 4, 4), groups in order of first appearance."""
    _check(gold, predicted)
    if len(groups) != len(gold):
        raise ValueError(f"{len(gold)} labels but {len(groups)} groups")
    index = {label: n for n, label in enumerate(FNC_LABELS)}
    number: dict[Hashable, int] = {}
    per_group = np.zeros((len(set(groups)), 4, 4))
    for truth, guess, group in zip(gold, predicted, groups, strict=True):
        per_group[number.setdefault(group, len(number)), index[truth], index[guess]] += 1
    return per_group


@dataclass(frozen=True, slots=True)
class Resampling:
    """How a bootstrap resamples: how many times, the intervals' level, the seed, and the labels
    its macro-F1 is taken over."""

    resamples: int = 1000
    level: float = 0.95
    seed: int = 0
    macro_labels: Sequence[str] = FNC_LABELS


RESAMPLING = Resampling()


def _resampled_figures(per_group: Any, weights: Any, macro_labels: Sequence[str]) -> dict[str, Any]:
    fnc, _, f1 = confusion_scores(np.einsum("rg,gij->rij", weights, per_group))
    macro = f1[:, [FNC_LABELS.index(label) for label in macro_labels]].mean(axis=1)
    return {"fnc_score": fnc, "macro_f1": macro, "disagree_f1": f1[:, 1]}


def _group_weights(groups: int, resamples: int, seed: int) -> Any:
    """How many times each group is drawn, per resample (with replacement)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(groups, [1 / groups] * groups, size=resamples)


def _intervals(figures: dict[str, Any], level: float) -> dict[str, Interval]:
    tail = 100 * (1 - level) / 2
    return {
        name: Interval(*(float(x) for x in np.percentile(values, [tail, 100 - tail])))
        for name, values in figures.items()
    }


def bootstrap_intervals(
    gold: Sequence[str],
    predicted: Sequence[str],
    groups: Sequence[Hashable],
    resampling: Resampling = RESAMPLING,
) -> dict[str, Interval]:
    """Percentile bootstrap intervals of the FNC score, macro-F1 and disagree F1, resampling
    whole groups (pairs that share an article are not independent) with replacement."""
    per_group = _group_confusions(gold, predicted, groups)
    weights = _group_weights(len(per_group), resampling.resamples, resampling.seed)
    figures = _resampled_figures(per_group, weights, resampling.macro_labels)
    return _intervals(figures, resampling.level)


def paired_difference_intervals(
    gold: Sequence[str],
    predicted: Sequence[str],
    baseline: Sequence[str],
    groups: Sequence[Hashable],
    resampling: Resampling = RESAMPLING,
) -> dict[str, Interval]:
    """Intervals of (`predicted`'s figure - `baseline`'s) on the same pairs, both scored on each
    resample of whole groups: narrower than comparing two separate intervals, since most of the
    sampling noise (which pairs are hard) is shared."""
    ours = _group_confusions(gold, predicted, groups)
    theirs = _group_confusions(gold, baseline, groups)
    weights = _group_weights(len(ours), resampling.resamples, resampling.seed)
    a = _resampled_figures(ours, weights, resampling.macro_labels)
    b = _resampled_figures(theirs, weights, resampling.macro_labels)
    return _intervals({name: a[name] - b[name] for name in a}, resampling.level)
