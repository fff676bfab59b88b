"""The negated-claim measurement (`tests/benchmarks/stance_negation_dev.py`): its ranking
figure and how it mixes the two views. The encoder runs are the benchmark's own."""

from __future__ import annotations

import itertools

import numpy as np

from monitor.stance.training.calibration import DevReadings
from tests.benchmarks.stance_negation_dev import auc, mixed, negated


def test_auc_is_the_share_of_positive_negative_pairs_ranked_right_with_ties_as_half() -> None:
    generator = np.random.default_rng(3)
    score = generator.integers(0, 6, 60).astype(float)  # many ties
    positive = generator.random(60) < 0.3
    wins = [
        1.0 if p > n else 0.5 if p == n else 0.0
        for p, n in itertools.product(score[positive], score[~positive])
    ]
    assert auc(score, positive) == np.float64(sum(wins) / len(wins))
    assert auc(np.arange(10.0), np.arange(10) >= 5) == 1.0
    assert auc(-np.arange(10.0), np.arange(10) >= 5) == 0.0


def readings(rows: list[list[float]]) -> DevReadings:
    size = len(rows)
    return DevReadings(
        gold=np.zeros(size, dtype=np.int64),
        logp=np.log(np.array(rows)),
        relatedness=np.full(size, 0.5),
        cue=np.full(size, 2),
        blocks_support=np.zeros(size, dtype=bool),
        lead_denial=np.zeros(size, dtype=bool),
        story=np.arange(size),
    )


def test_the_negated_view_counts_its_agreement_as_a_denial_on_the_rows_read_twice() -> None:
    plain = readings([[0.6, 0.1, 0.2, 0.1], [0.6, 0.1, 0.2, 0.1]])
    # Row 0 was read twice: the article agrees with "it is false that <claim>".
    negation = np.log(np.array([[0.8, 0.02, 0.1, 0.08]]))
    result = np.exp(mixed(plain, np.array([0]), negation, 0.25).logp)
    assert np.allclose(result[0], [0.455, 0.275, 0.175, 0.095])
    assert np.allclose(result[1], [0.6, 0.1, 0.2, 0.1])  # not read twice: unchanged
    assert np.allclose(np.exp(mixed(plain, np.array([0]), negation, 0.0).logp), np.exp(plain.logp))


def test_the_claim_is_negated_by_its_prefix() -> None:
    assert negated("It is false that ", " Musk met Putin. ") == "It is false that Musk met Putin."
