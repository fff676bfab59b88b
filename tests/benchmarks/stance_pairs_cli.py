"""Benchmark: `monitor stance --pairs` over the whole FNC-1 competition test set, end to end. Reads
shared data, writes a temporary JSON-lines file, runs the CLI as a child process.

Run: .venv/bin/python -m tests.benchmarks.stance_pairs_cli [--limit N] [--dataset fnc1|emergent]

This is the path the stance figures are checked with independently: a fresh process that
loads the product's stance model, reads {"id","claim","text"} lines and writes one judgement
per line. Prints the wall time (model load included), pairs per second, and the FNC score,
accuracy, macro-F1 and disagree F1 of what the command wrote.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from monitor.stance import Stance
from monitor.stance.metrics import accuracy, fnc_score, macro_f1, per_class
from tests.benchmarks.stance_data import Pair, load_emergent, load_fnc1


def run_cli(pairs: Sequence[Pair], scratch: Path) -> tuple[float, list[str]]:
    """(seconds, predicted FNC labels in input order) for one `monitor stance --pairs` run."""
    source = scratch / "pairs.jsonl"
    with source.open("w", encoding="utf-8") as f:
        for number, pair in enumerate(pairs):
            row = {"id": str(number), "claim": pair.claim, "text": pair.article}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    command = [sys.executable, "-m", "monitor", "stance", "--pairs", str(source)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=True)
    elapsed = time.perf_counter() - started
    rows = [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]
    if [row["id"] for row in rows] != [str(n) for n in range(len(pairs))]:
        raise SystemExit("the command's output does not match its input line for line")
    return elapsed, [Stance(row["stance"]).fnc_label for row in rows]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("fnc1", "emergent"), default="fnc1")
    parser.add_argument("--limit", type=int, default=None, help="only the first N pairs")
    args = parser.parse_args(argv)
    pairs = (load_fnc1() if args.dataset == "fnc1" else load_emergent("test"))[: args.limit]
    with tempfile.TemporaryDirectory() as scratch:
        elapsed, predicted = run_cli(pairs, Path(scratch))
    gold = [pair.label for pair in pairs]
    disagree = next(s for s in per_class(gold, predicted) if s.label == "disagree")
    print(f"monitor stance --pairs, {args.dataset}: {len(pairs)} pairs")
    print(f"wall time   {elapsed:.1f} s end to end ({len(pairs) / elapsed:.0f} pairs/s)")
    print(f"FNC score   {fnc_score(gold, predicted):6.2f}")
    print(f"accuracy    {accuracy(gold, predicted):6.4f}")
    print(f"macro-F1    {macro_f1(gold, predicted):6.4f}")
    print(f"disagree F1 {disagree.f1:6.4f}")


if __name__ == "__main__":
    main()
