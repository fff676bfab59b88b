"""Choose the encoder's calibration on the dev split: a grid search, cross-validated by story. Pure.

The input is what the product path sees for every dev pair (`DevReadings`): the encoder's
log-probabilities, the rules' relatedness and cue label, and the guards' flags. `predict` replays
`EncoderStance._decide` over all of them at once (`export` checks that the replay matches the
product path exactly), and every grid point is scored from its confusion counts per fold
(`metrics.confusion_scores`): the 48,000 points and the five repeats below take about 20 s on
two cores. The objective is macro-F1 + FNC score / 100.

`choose` also repeats the whole choice on four fifths of the dev stories and scores it on the
fifth, for each fifth in turn: an estimate of what the calibration does on stories it was not
chosen on. The in-sample dev figures of a grid search are optimistic, and the competition test
set is never used to find out by how much.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from monitor.stance.encoder import OFF_TOPIC, ModelCard
from monitor.stance.metrics import confusion_scores

# Relatedness floors the calibration may choose. Never under the rule baseline's threshold (0.3):
# FNC-1's unrelated pairs are headlines matched with bodies from other stories, but the product
# only judges articles that name the claim's tracked entities, and an encoder trained on FNC-1
# calls most of those "discuss" (same people, another subject: a Tesla earnings story against
# "Musk has been in contact with Putin"). The lexical floor is what keeps them unrelated. Hard
# negatives in training (minilm-fnc1-v2) did not remove the need: a candidate at 0.15 called a
# story on Musk-Putin contact support for "Musk will shape US policy towards Russia" (0.18).
FLOORS = (0.3, 0.35, 0.4)
# Label biases the calibration may choose for supports and refutes. A wider range buys FNC-1 dev
# points by trading one polarity for the other (a +1 bias on agree turned a denial the encoder
# gave 0.69 refutes into "supports"), which an alert must never do.
BIASES = (-0.5, -0.25, 0.0, 0.25, 0.5)
UNRELATED_BIASES = (-1.0, -0.5, 0.0, 0.5)
# Per unit of relatedness above the floor; -24 takes 4.8 off the unrelated score at 0.5.
UNRELATED_SLOPES = (0.0, -8.0, -16.0, -24.0, -32.0)
BONUSES = (0.0, 0.5, 1.0, 1.5)
HEDGE_BONUSES = (0.0, 0.5)
# Articles of at most SHORT_WORDS words, a headline's length (98% of Emergent's test headlines,
# 3% of FNC-1 train's bodies), may have a lower relatedness floor: an 11-word headline carries
# fewer of a 12-word claim's words than a 300-word article on the same subject does (on dev, 28%
# of the related pairs of bodies this short are under 0.3, 6% of the others'). Not longer:
# at 40 words (a brief of two or three sentences) the floor let this project's own 28-word
# Tesla story ("same people, another subject") through as "reports" for the Musk-Putin claim.
SHORT_WORDS = 20
SHORT_FLOORS = (0.1, 0.15, 0.2, 0.25)
ALERT_FLOORS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)
ALERT_COST = 0.01  # macro-F1 the alert floor may cost
FOLDS = 5
SEED = 20241025


@dataclass(frozen=True)
class DevReadings:
    """One row per dev pair. Labels are indices into FNC-1's (agree, disagree, discuss,
    unrelated), the order of `LABEL_STANCES`. Pairs under the smallest floor have
    log-probabilities (-30, -30, -30, 0): the encoder never reads them."""

    gold: np.ndarray[Any, Any]
    logp: np.ndarray[Any, Any]  # (pairs, 4)
    relatedness: np.ndarray[Any, Any]
    cue: np.ndarray[Any, Any]  # the rules' label (3 under the floor)
    short: np.ndarray[Any, Any]  # the article has at most SHORT_WORDS words
    blocks_support: np.ndarray[Any, Any]
    lead_denial: np.ndarray[Any, Any]
    story: np.ndarray[Any, Any]  # story number, for the cross-validation folds

    @property
    def encoded(self) -> np.ndarray[Any, Any]:
        """Which pairs the encoder read: those at or past the lowest floor for their length."""
        floor = np.where(self.short, lowest_floor(short=True), lowest_floor(short=False))
        result: np.ndarray[Any, Any] = self.relatedness >= floor
        return result


def lowest_floor(*, short: bool) -> float:
    """The lowest relatedness floor the calibration may choose for an article (of at most
    SHORT_WORDS words when `short`): the encoder reads every dev pair from there."""
    return min(SHORT_FLOORS) if short else min(FLOORS)


@dataclass(frozen=True)
class Calibration:
    related_floor: float
    label_bias: tuple[float, float, float, float]
    rule_bonus: tuple[float, float, float, float]
    unrelated_slope: float
    alert_floor: float = 0.0
    short_floor: float | None = None  # for short articles; None: `related_floor`

    @property
    def floor_of_short(self) -> float:
        return self.related_floor if self.short_floor is None else self.short_floor

    @classmethod
    def of_card(cls, card: ModelCard) -> Calibration:
        """The calibration a model card holds (what `card_fields` writes)."""
        return cls(
            card.related_floor,
            card.label_bias,
            card.rule_bonus,
            card.unrelated_slope,
            card.alert_floor,
            card.short_floor,
        )

    def card_fields(self) -> dict[str, Any]:
        return {
            "related_floor": self.related_floor,
            "short_words": SHORT_WORDS,
            "short_floor": self.floor_of_short,
            "label_bias": list(self.label_bias),
            "rule_bonus": list(self.rule_bonus),
            "unrelated_slope": self.unrelated_slope,
            "alert_floor": self.alert_floor,
        }


def predict(readings: DevReadings, calibration: Calibration) -> np.ndarray[Any, Any]:
    """`EncoderStance._decide` over every pair at once: label indices."""
    c = calibration
    rows = np.arange(len(readings.gold))
    probabilities = np.exp(readings.logp)
    score = readings.logp + np.array(c.label_bias)
    score[rows, readings.cue] += np.array(c.rule_bonus)[readings.cue]
    score[:, 3] += c.unrelated_slope * np.maximum(readings.relatedness - c.related_floor, 0.0)
    label = score.argmax(axis=1)
    weak = (label < 2) & (probabilities[rows, label] < c.alert_floor)
    off_topic = weak & (probabilities[:, 3] > OFF_TOPIC)
    label = np.where(weak | ((label == 0) & readings.blocks_support), 2, label)
    label = np.where(off_topic, 3, label)
    label = np.where(readings.lead_denial & ((label == 0) | (label == 2)), 1, label)
    floor = np.where(readings.short, c.floor_of_short, c.related_floor)
    return np.where(readings.relatedness < floor, 3, label)


def _objective(confusion: np.ndarray[Any, Any]) -> Any:
    fnc, macro, _ = confusion_scores(confusion)
    return macro + fnc / 100.0


def _confusions(readings: DevReadings, labels: np.ndarray[Any, Any], fold: Any) -> Any:
    """Confusion counts per fold: (folds, 4, 4)."""
    cells = fold * 16 + readings.gold * 4 + labels
    return np.bincount(cells, minlength=FOLDS * 16).reshape(FOLDS, 4, 4)


def story_folds(story: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A fold number per pair: whole stories, shuffled with a fixed seed."""
    numbers = sorted({int(s) for s in story})
    random.Random(SEED).shuffle(numbers)
    fold_of = {s: n % FOLDS for n, s in enumerate(numbers)}
    return np.array([fold_of[int(s)] for s in story], dtype=np.int64)


def grid() -> list[Calibration]:
    points = itertools.product(
        FLOORS, BIASES, BIASES, UNRELATED_BIASES, BONUSES, BONUSES, HEDGE_BONUSES, UNRELATED_SLOPES
    )
    return [
        Calibration(floor, (agree, disagree, 0.0, unrelated), (confirm, deny, hedge, 0.0), slope)
        for floor, agree, disagree, unrelated, confirm, deny, hedge, slope in points
    ]


def _choose(
    readings: DevReadings,
    candidates: Sequence[Calibration],
    confusions: np.ndarray[Any, Any],
    folds: np.ndarray[Any, Any],
    keep: np.ndarray[Any, Any],
) -> Calibration:
    """The best grid point on the pairs in `keep` (a mask over `folds`), then the floor of short
    articles, then the alert floor.

    On a tie the highest relatedness floor wins (fewer pairs reach the encoder), for short
    articles too. The alert floor is the highest that costs at most ALERT_COST macro-F1:
    supports and refutes verdicts are alerts, and precision matters more there than recall.
    """
    objective = _objective(confusions[:, keep].sum(axis=1))
    top = objective.max()
    tied = [int(n) for n in np.flatnonzero(objective >= top)]
    chosen = candidates[max(tied, key=lambda n: (candidates[n].related_floor, objective[n]))]

    def confusion(calibration: Calibration) -> Any:
        labels = predict(readings, calibration)
        return _confusions(readings, labels, folds)[keep].sum(axis=0)

    def macro(calibration: Calibration) -> float:
        return float(confusion_scores(confusion(calibration))[1])

    short = [replace(chosen, short_floor=f) for f in (chosen.related_floor, *SHORT_FLOORS)]
    chosen = max(short, key=lambda c: (float(_objective(confusion(c))), c.floor_of_short))
    base = macro(chosen)
    alert = 0.0
    for candidate in ALERT_FLOORS:
        trial = replace(chosen, alert_floor=candidate)
        if base - macro(trial) <= ALERT_COST:
            alert = candidate
    return replace(chosen, alert_floor=alert)


def choose(readings: DevReadings) -> tuple[Calibration, dict[str, Any]]:
    """The calibration chosen on every dev pair, and the cross-validated figures of the same
    choice made without each fold of stories in turn: FNC score, macro-F1, per-label F1."""
    candidates = grid()
    folds = story_folds(readings.story)
    confusions = np.stack([_confusions(readings, predict(readings, c), folds) for c in candidates])
    everything = np.ones(FOLDS, dtype=bool)
    chosen = _choose(readings, candidates, confusions, folds, everything)
    held_out = np.zeros((4, 4), dtype=np.int64)
    for fold in range(FOLDS):
        keep = everything.copy()
        keep[fold] = False
        fold_choice = _choose(readings, candidates, confusions, folds, keep)
        labels = predict(readings, fold_choice)
        held_out += _confusions(readings, labels, folds)[fold]
    fnc, macro, f1 = confusion_scores(held_out)
    cross_validated = {
        "folds": FOLDS,
        "fnc_score": round(float(fnc), 2),
        "macro_f1": round(float(macro), 4),
        "f1": [round(float(x), 4) for x in f1],
    }
    return chosen, cross_validated
