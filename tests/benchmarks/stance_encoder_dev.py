"""Benchmark, dev split only: exported models' encoders compared at one calibration.

Run: .venv/bin/python -m tests.benchmarks.stance_encoder_dev --model-dir DIR [--model-dir DIR ...]
     [--calibration-from DIR]

A model calibrated again (`export --from-model`) gets a new grid search over floors and biases,
chosen on dev's 69 denials, and that choice is noisier than a change to the encoder's
arithmetic: two exports of v3.4's weights with their outlier channels in float, 0.001 apart in
distance to float activations, were chosen calibrations whose cross-validated disagree F1 differ
by 0.04. Both beat v3.4 on cross-validated dev and one of them lost on both test sets
(monitor/stance/model/README.md, "What the int8 rounding costs"). This reads the dev pairs
through each model as the product does (`export.read_dev`, the second reading included) and
decides them all with one calibration, the shipped model's unless `--calibration-from` names
another, so only the encoders differ. The shipped calibration was chosen on the shipped
encoder's own readings, which favours it; a candidate has to beat it anyway. Prints each model's
in-sample dev figures, and for each model after the first, how many dev pairs change label and
the 95% intervals of the paired differences from the first (1,000 resamples of whole dev
stories). Reads
../shared/data/fnc1; never a test set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from monitor.stance.encoder import ModelCard, packaged_model_dir
from monitor.stance.metrics import paired_difference_intervals
from monitor.stance.training.calibration import Calibration, predict
from monitor.stance.training.export import dev_figures, read_dev
from monitor.stance.training.fnc1 import LABELS, load, split_train, stories
from tests.benchmarks.stance_data import FNC1_DIR


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, action="append", required=True)
    parser.add_argument("--calibration-from", type=Path, default=packaged_model_dir())
    parser.add_argument("--data", type=Path, default=FNC1_DIR)
    args = parser.parse_args(argv)
    source = ModelCard.read(args.calibration_from)
    calibration = Calibration.of_card(source)
    _, dev = split_train(load(args.data, "train"))
    gold = [e.label for e in dev]
    story = stories(dev)
    groups = [story["b:" + e.body_id] for e in dev]
    print(f"{len(dev)} dev pairs, decided with {source.version}'s calibration: {calibration}")
    first: list[str] | None = None
    for directory in args.model_dir:
        started = time.perf_counter()
        readings = read_dev(directory, dev, source.negation)
        labels = [LABELS[k] for k in predict(readings, calibration)]
        figures = dev_figures(gold, labels)
        version = ModelCard.read(directory).version
        print(
            f"{version} ({directory}): FNC {figures['fnc_score']:.2f}  macro-F1 "
            f"{figures['macro_f1']:.4f}  F1 {figures['f1']}  precision {figures['precision']}"
            f"  ({time.perf_counter() - started:.0f} s)"
        )
        if first is None:
            first = labels
            continue
        changed = sum(a != b for a, b in zip(labels, first, strict=True))
        print(f"  {changed} dev pairs change label; difference from the first model, 95%:")
        for name, interval in paired_difference_intervals(gold, labels, first, groups).items():
            print(f"  {name:12} {interval.low:+.4f} to {interval.high:+.4f}")


if __name__ == "__main__":
    main()
