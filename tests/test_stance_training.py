"""The training script's sampling: pure parts that run without torch."""

from __future__ import annotations

import random
from collections import Counter

from monitor.stance.training.fnc1 import LABELS
from monitor.stance.training.train import DISAGREE_COPIES, Item, epoch_sample

AGREE, DISAGREE, DISCUSS, UNRELATED = range(4)


def pool() -> list[Item]:
    sizes = {AGREE: 30, DISAGREE: 10, DISCUSS: 80, UNRELATED: 200}
    return [(f"claim {k}", f"passage {k} {n}", k) for k, size in sizes.items() for n in range(size)]


def test_labels_are_in_fnc1_order() -> None:
    assert LABELS == ("agree", "disagree", "discuss", "unrelated")


def test_an_epoch_keeps_every_agree_repeats_denials_and_samples_the_rest() -> None:
    epoch = epoch_sample(pool(), random.Random(0), discuss_share=0.5, unrelated=50)
    counts = Counter(label for _, _, label in epoch)
    assert counts == {AGREE: 30, DISAGREE: 10 * DISAGREE_COPIES, DISCUSS: 40, UNRELATED: 50}
    assert len({text for _, text, label in epoch if label == AGREE}) == 30


def test_each_epoch_draws_a_fresh_share_of_discuss_pairs() -> None:
    rng = random.Random(0)
    first, second = (
        {
            text
            for _, text, label in epoch_sample(pool(), rng, discuss_share=0.5, unrelated=50)
            if label == DISCUSS
        }
        for _ in range(2)
    )
    assert len(first) == len(second) == 40
    assert first != second


def test_sampling_is_reproducible_from_the_seed() -> None:
    one = epoch_sample(pool(), random.Random(7), discuss_share=0.5, unrelated=50)
    two = epoch_sample(pool(), random.Random(7), discuss_share=0.5, unrelated=50)
    assert one == two


def test_asking_for_more_unrelated_pairs_than_there_are_takes_them_all() -> None:
    epoch = epoch_sample(pool(), random.Random(0), discuss_share=1.0, unrelated=10_000)
    counts = Counter(label for _, _, label in epoch)
    assert counts[UNRELATED] == 200
    assert counts[DISCUSS] == 80
