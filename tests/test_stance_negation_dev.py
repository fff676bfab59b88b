"""The negated-claim measurement (`tests/benchmarks/stance_negation_dev.py`): its ranking figure.
The encoder runs are the benchmark's own; the second reading itself is tested with the model
(`tests/test_stance_negation.py`)."""

from __future__ import annotations

import itertools

import numpy as np

from tests.benchmarks.stance_negation_dev import auc


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
