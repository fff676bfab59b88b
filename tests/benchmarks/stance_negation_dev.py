"""Benchmark, dev split only: would the encoder's reading of the negated claim find more denials?

Run: .venv/bin/python -m tests.benchmarks.stance_negation_dev [--model-dir DIR] [--limit N]
     [--prefix "It is false that "] [--weight 0.25] [--gate 0.2]

What the encoder's second reading, of the negated claim (`encoder.Negation`), adds: the dev
pairs read as the product reads them with one reading (plain) and with both (mixed), each with
the whole calibration search run on it (`training.calibration.choose`). Every dev pair the
encoder reads with p(agree) + p(disagree) of at least `--gate` is also read as `prefix + claim`
against the same passage; its probabilities, agree and disagree swapped, are mixed in with
`--weight`. The defaults are the model card's own negation settings (minilm-fnc1-v3.3 and on).
Prints the share of encoder pairs read twice, how well each reading ranks the denials (AUC),
and the in-sample and cross-validated dev figures of both calibrations with the precision of
agree and disagree at the chosen alert floor and at none. Reads ../shared/data/fnc1; never the
test set.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from monitor.stance.encoder import ModelCard, Negation, packaged_model_dir
from monitor.stance.metrics import confusion_scores
from monitor.stance.training.calibration import Calibration, DevReadings, choose, predict
from monitor.stance.training.export import NEGATION, read_dev
from monitor.stance.training.fnc1 import load, split_train

AGREE, DISAGREE = 0, 1


def auc(score: np.ndarray[Any, Any], positive: np.ndarray[Any, Any]) -> float:
    """The chance that a random positive scores above a random negative (ties count half)."""
    ranks = np.argsort(np.argsort(score, kind="stable"), kind="stable") + 1.0
    for value in np.unique(score):  # average ranks over ties
        tied = score == value
        ranks[tied] = ranks[tied].mean()
    hits, misses = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - hits * (hits + 1) / 2) / max(hits * misses, 1))


def show(name: str, readings: DevReadings, calibration: Calibration, cv: dict[str, Any]) -> None:
    for floor in sorted({calibration.alert_floor, 0.0}, reverse=True):
        labels = predict(readings, replace(calibration, alert_floor=floor))
        matrix = np.zeros((4, 4), dtype=np.int64)
        np.add.at(matrix, (readings.gold, labels), 1)
        fnc, macro, f1 = confusion_scores(matrix)
        precision = [matrix[k, k] / max(int(matrix[:, k].sum()), 1) for k in (AGREE, DISAGREE)]
        print(
            f"{name:8} alert floor {floor:.2f}: in-sample FNC {fnc:6.2f}  macro-F1 {macro:.4f}  "
            f"disagree F1 {f1[DISAGREE]:.3f}  precision agree {precision[0]:.3f} "
            f"disagree {precision[1]:.3f}"
        )
    print(
        f"{name:8} cross-validated: FNC {cv['fnc_score']:6.2f}  macro-F1 {cv['macro_f1']:.4f}  "
        f"disagree F1 {cv['f1'][DISAGREE]:.3f}   {calibration}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fnc1"))
    parser.add_argument("--model-dir", type=Path, default=packaged_model_dir())
    parser.add_argument("--limit", type=int, default=0, help="the first N dev pairs only")
    parser.add_argument("--prefix")
    parser.add_argument("--weight", type=float)
    parser.add_argument("--gate", type=float)
    args = parser.parse_args(argv)
    default = ModelCard.read(args.model_dir).negation or NEGATION
    negation = Negation(
        args.prefix if args.prefix is not None else default.prefix,
        args.weight if args.weight is not None else default.weight,
        args.gate if args.gate is not None else default.gate,
    )
    _, dev = split_train(load(args.data, "train"))
    dev = dev[: args.limit or None]
    started = time.perf_counter()
    readings = read_dev(args.model_dir, dev)
    both = read_dev(args.model_dir, dev, negation)
    encoder = readings.encoded
    rows = np.flatnonzero(encoder & negation.gated(np.exp(readings.logp)))
    print(f"{negation}")
    print(
        f"{len(dev)} dev pairs, {int(encoder.sum())} reach the encoder, {len(rows)} read twice "
        f"({len(rows) / max(int(encoder.sum()), 1):.1%}); {time.perf_counter() - started:.0f} s"
    )
    denial = readings.gold[encoder] == DISAGREE
    plain, mix = readings.logp[encoder], both.logp[encoder]
    print(
        f"AUC of p(disagree), denials against the rest: plain {auc(plain[:, 1], denial):.3f}, "
        f"mixed {auc(mix[:, 1], denial):.3f}"
    )
    for name, data in (("plain", readings), ("mixed", both)):
        calibration, cross_validated = choose(data)
        show(name, data, calibration, cross_validated)


if __name__ == "__main__":
    main()
