"""Benchmark: a stance model on the FNC-1 competition test set and on Emergent. Reads shared data.

Run: .venv/bin/python -m tests.benchmarks.stance_eval [--dataset fnc1|emergent|both] [--limit N]
     [--emergent-split test|train|all] [--model-dir DIR] [--baseline-dir DIR]

FNC-1: claim = headline, article = body. Emergent: claim = claim headline, article = the article's
headline; for / against / observing are scored as agree / disagree / discuss (Emergent has no
unrelated pairs, so an `unrelated` answer there is simply wrong). Prints the FNC score, accuracy,
per-class precision / recall / F1, macro-F1 over the four FNC labels, a confusion matrix,
95% bootstrap intervals of the FNC score, macro-F1 and disagree F1 (1,000 resamples of whole
articles for FNC-1, whose bodies each carry many headlines, and of whole claims for Emergent)
and pairs per second. For Emergent, also the accuracy on the pairs whose article headline is
also an FNC-1 train headline (which the model was trained on as a claim) and on the rest. The
default model is the product's (`default_stance_model`, what
`monitor check` and `monitor stance --pairs` use); `--model rules` runs the rule baseline.
`--baseline-dir` judges the same pairs with another exported model too and prints 95% intervals
of the paired differences (this model's figure minus the baseline's, on the same resamples).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from monitor.stance import RuleStance, StanceModel
from monitor.stance.base import judge_all
from monitor.stance.encoder import BATCH_ARTICLE_CACHE, EncoderStance
from monitor.stance.metrics import (
    FNC_LABELS,
    Resampling,
    accuracy,
    bootstrap_intervals,
    confusion,
    fnc_score,
    macro_f1,
    paired_difference_intervals,
    per_class,
)
from monitor.watchlist import default_stance_model
from tests.benchmarks.stance_data import Pair, load_emergent, load_fnc1, seen_in_fnc1_train


def evaluate(
    model: StanceModel,
    name: str,
    pairs: Sequence[Pair],
    macro_labels: Sequence[str] = FNC_LABELS,
    group_by: str = "article",
    baseline: StanceModel | None = None,
    seen: Sequence[bool] | None = None,
) -> None:
    """Judge every pair with `model` and print the figures; the bootstrap resamples whole
    groups of pairs that share their `group_by` text. With `seen` (one flag per pair: its
    article is an FNC-1 train headline), the accuracy on the flagged pairs and on the rest. With
    a `baseline`, also the intervals of the paired differences."""
    started = time.perf_counter()
    judged = judge_all(model, [(pair.claim, pair.article) for pair in pairs])
    predicted = [judgement.stance.fnc_label for judgement in judged]
    elapsed = time.perf_counter() - started
    gold = [pair.label for pair in pairs]
    print(f"\n== {name}: {len(pairs)} pairs, model {model.version} ==")
    print(f"FNC score   {fnc_score(gold, predicted):6.2f}")
    print(f"accuracy    {accuracy(gold, predicted):6.4f}")
    print(f"macro-F1    {macro_f1(gold, predicted):6.4f}  (over {', '.join(FNC_LABELS)})")
    if tuple(macro_labels) != FNC_LABELS:
        print(
            f"macro-F1    {macro_f1(gold, predicted, macro_labels):6.4f}"
            f"  (over {', '.join(macro_labels)})"
        )
    if seen is not None:
        print(overlap_line(gold, predicted, seen))
    print(f"{'label':<10} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}")
    for score in per_class(gold, predicted):
        print(
            f"{score.label:<10} {score.precision:9.3f} {score.recall:7.3f} {score.f1:7.3f}"
            f" {score.support:8d}"
        )
    print("confusion (rows gold, columns predicted):")
    print(" " * 10 + "".join(f"{label:>10}" for label in FNC_LABELS))
    for label, row in zip(FNC_LABELS, confusion(gold, predicted), strict=True):
        print(f"{label:<10}" + "".join(f"{count:10d}" for count in row))
    groups = [getattr(pair, group_by) for pair in pairs]
    resampling = Resampling(macro_labels=macro_labels)
    intervals = bootstrap_intervals(gold, predicted, groups, resampling)
    print(
        f"95% intervals ({len(set(groups))} {group_by}s resampled 1,000 times; macro-F1 over"
        f" {', '.join(macro_labels)}):"
    )
    for figure, interval in intervals.items():
        print(f"  {figure:<12} {interval.low:8.4f} to {interval.high:.4f}")
    rate = len(pairs) / elapsed if elapsed else float("inf")
    print(f"time        {elapsed:.1f} s, {rate:.0f} pairs/s (one process)")
    if baseline is None:
        return
    judged = judge_all(baseline, [(pair.claim, pair.article) for pair in pairs])
    theirs = [judgement.stance.fnc_label for judgement in judged]
    print(f"against {baseline.version}: FNC score {fnc_score(gold, theirs):.2f}, difference")
    differences = paired_difference_intervals(gold, predicted, theirs, groups, resampling)
    for figure, interval in differences.items():
        print(f"  {figure:<12} {interval.low:+8.4f} to {interval.high:+.4f}")


def overlap_line(gold: Sequence[str], predicted: Sequence[str], seen: Sequence[bool]) -> str:
    """The accuracy on the pairs `seen` flags and on the rest, as one line."""
    parts = []
    for flag, what in ((True, "seen in FNC-1 train"), (False, "the rest")):
        rows = [(g, p) for g, p, s in zip(gold, predicted, seen, strict=True) if s is flag]
        score = f"{sum(g == p for g, p in rows) / len(rows):.4f}" if rows else "-"
        parts.append(f"{score} on {len(rows)} {what}")
    return "accuracy    " + ", ".join(parts) + " (article headline as an FNC-1 train headline)"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("fnc1", "emergent", "both"), default="both")
    parser.add_argument("--limit", type=int, default=None, help="judge only the first N pairs")
    parser.add_argument("--emergent-split", choices=("test", "train", "all"), default="test")
    parser.add_argument("--model", choices=("default", "rules"), default="default")
    parser.add_argument(
        "--model-dir", type=Path, help="an exported model other than the shipped one"
    )
    parser.add_argument(
        "--baseline-dir", type=Path, help="an exported model to compare with, pair by pair"
    )
    args = parser.parse_args(argv)
    model: StanceModel = default_stance_model() if args.model == "default" else RuleStance()
    if args.model_dir is not None:
        model = EncoderStance(args.model_dir, article_cache=BATCH_ARTICLE_CACHE)
    baseline = None
    if args.baseline_dir is not None:
        baseline = EncoderStance(args.baseline_dir, article_cache=BATCH_ARTICLE_CACHE)
    if args.dataset in ("fnc1", "both"):
        pairs = load_fnc1()[: args.limit]
        evaluate(model, "FNC-1 competition test", pairs, baseline=baseline)
    if args.dataset in ("emergent", "both"):
        pairs = load_emergent(args.emergent_split)[: args.limit]
        name = f"Emergent {args.emergent_split}"
        seen = seen_in_fnc1_train(pairs)
        evaluate(model, name, pairs, FNC_LABELS[:3], "claim", baseline, seen)


if __name__ == "__main__":
    main()
