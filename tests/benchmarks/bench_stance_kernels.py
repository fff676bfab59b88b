"""Benchmark: the stance encoder on this CPU's integer kernels (`monitor.stance.kernels`).

Run: .venv/bin/python -m tests.benchmarks.bench_stance_kernels [--pairs 400] [--repeats 3]

Reads the first `--pairs` related pairs of the FNC-1 dev split (../shared/data/fnc1, never the
test set) as the product does (the passage each claim selects) and runs the shipped model over
them with the storage the runtime picks on this CPU and with the portable one
(`MONITOR_STANCE_KERNEL=portable`), on every core. Prints the CPU's VNNI flags, pairs per second
of each (best of `--repeats`), their ratio, and the largest difference between their
probabilities, which must be 0: both storages hold the same numbers, multiplied exactly.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from monitor.stance import kernels
from monitor.stance.encoder import ModelCard, _Runtime, packaged_model_dir
from monitor.stance.lexical import ArticleText
from monitor.stance.passage import select_passage
from monitor.stance.training.fnc1 import load, split_train
from tests.benchmarks.stance_data import FNC1_DIR


def throughput(
    runtime: _Runtime, pairs: Sequence[tuple[str, str]], repeats: int
) -> tuple[float, np.ndarray]:
    """(pairs per second, best of `repeats`; the probabilities)."""
    runtime.probabilities(pairs[:8])  # warm up
    best, result = float("inf"), np.zeros(0)
    for _ in range(repeats):
        started = time.perf_counter()
        result = runtime.probabilities(pairs)
        best = min(best, time.perf_counter() - started)
    return len(pairs) / best, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=FNC1_DIR)
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    directory = packaged_model_dir()
    card = ModelCard.read(directory)
    _, dev = split_train(load(args.data, "train"))
    related = [e for e in dev if e.label != "unrelated"][: args.pairs]
    pairs = [
        (e.claim, select_passage(e.claim, ArticleText.read(e.body), max_words=card.max_words).text)
        for e in related
    ]
    flags = sorted(kernels.cpu_flags() & kernels.VNNI_FLAGS) or ["none"]
    print(f"{card.version}, {len(pairs)} FNC-1 dev passages, {os.cpu_count()} cores")
    print(f"VNNI flags: {', '.join(flags)}")
    figures = {}
    for setting in ("auto", "portable"):
        os.environ[kernels.KERNEL_ENV] = setting
        kernels.exact_signed_kernel.cache_clear()
        runtime = _Runtime(directory, card, None)
        rate, probabilities = throughput(runtime, pairs, args.repeats)
        figures[setting] = (runtime.kernel, rate, probabilities)
        print(f"{setting:8} -> kernel {runtime.kernel:8} {rate:6.1f} pairs/s")
    (_, fast, first), (_, slow, second) = figures["auto"], figures["portable"]
    print(f"ratio auto / portable: {fast / slow:.2f}")
    print(f"largest probability difference: {float(np.abs(first - second).max()):.3g}")


if __name__ == "__main__":
    main()
