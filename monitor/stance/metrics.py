"""Scoring of stance labels: FNC-1 score, accuracy, per-class and macro F1, confusion. Pure.

Labels are FNC-1's: agree, disagree, discuss, unrelated (see `Stance.fnc_label`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

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
