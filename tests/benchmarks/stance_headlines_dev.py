"""Benchmark: the stance model on headline pairs derived from the FNC-1 dev split (never a test
set): a dev-side stand-in for Emergent, where the article is a headline.

Run: .venv/bin/python -m tests.benchmarks.stance_headlines_dev [--limit N] [--model-dir DIR]

The pairs are `examples.headline_pairs` of the dev split of FNC-1 train (by story, as the
calibration's): two headlines of one body that both take a side on it, agree when the body
agrees with both or disputes both, disagree when it agrees with one and disputes the other. The
labels are derived, so they are noisy (two headlines the body agrees with may stress different
parts of the story), and there is no discuss: use it to compare models or training recipes on
the same pairs (a model that learns short-text stance should move agree and disagree recall up
here before it is run on Emergent), not as an accuracy of its own. Prints the pairs, the
confusion, each label's recall and pairs per second.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from monitor.stance.base import judge_all
from monitor.stance.encoder import BATCH_ARTICLE_CACHE, EncoderStance
from monitor.stance.metrics import FNC_LABELS
from monitor.stance.training.examples import headline_pairs
from monitor.stance.training.fnc1 import LABELS, load, split_train
from monitor.watchlist import default_stance_model
from tests.benchmarks.stance_data import FNC1_DIR


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FNC1_DIR)
    parser.add_argument("--limit", type=int, default=3000, help="a fixed random sample of N")
    parser.add_argument("--model-dir", type=Path, help="an exported model other than the shipped")
    args = parser.parse_args(argv)
    _, dev = split_train(load(args.data, "train"))
    pairs = headline_pairs(dev)
    random.Random(0).shuffle(pairs)
    pairs = pairs[: args.limit]
    model = (
        EncoderStance(args.model_dir, article_cache=BATCH_ARTICLE_CACHE)
        if args.model_dir
        else default_stance_model(batch_job=True)
    )
    started = time.perf_counter()
    judged = judge_all(model, [(claim, article) for claim, article, _ in pairs])
    elapsed = time.perf_counter() - started
    gold = [LABELS[label] for _, _, label in pairs]
    predicted = [judgement.stance.fnc_label for judgement in judged]
    counts = Counter(zip(gold, predicted, strict=True))
    print(f"{model.version}: {len(pairs)} headline pairs of FNC-1 dev, {Counter(gold)}")
    print("confusion (rows gold, columns predicted):")
    print(" " * 10 + "".join(f"{label:>10}" for label in FNC_LABELS))
    for label in ("agree", "disagree"):
        row = [counts[(label, other)] for other in FNC_LABELS]
        recall = row[FNC_LABELS.index(label)] / max(sum(row), 1)
        print(f"{label:<10}" + "".join(f"{n:10d}" for n in row) + f"   recall {recall:.3f}")
    right = sum(counts[(label, label)] for label in ("agree", "disagree"))
    print(f"accuracy    {right / max(len(pairs), 1):.4f}")
    print(f"time        {elapsed:.1f} s, {len(pairs) / max(elapsed, 1e-9):.0f} pairs/s")


if __name__ == "__main__":
    main()
