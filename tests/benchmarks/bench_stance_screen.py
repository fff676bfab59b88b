"""Benchmark: the stance model's first stage (`EncoderStance.screen`) over FNC-1 pairs.

Run: .venv/bin/python -m tests.benchmarks.bench_stance_screen [--split competition_test]
     [--limit N] [--repeats 3]

The first stage is what every (article, claim) pair costs before the encoder: the article split
and tokenized (once per article, as `monitor stance --pairs` caches it), the relatedness and the
rules' cues, and the passage the encoder would read for the pairs past their floor. It runs on
one core and needs no model runtime. Prints pairs per second (best of `--repeats`, each with a
cold article cache), its time for all the pairs, and how many of them reach the encoder: with
`stance_pairs_cli`'s wall time, this splits an end-to-end run into its two stages.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from monitor.stance.encoder import BATCH_ARTICLE_CACHE, EncoderStance
from tests.benchmarks.stance_data import load_fnc1


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split", choices=("competition_test", "train"), default="competition_test"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N pairs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    pairs = [(p.claim, p.article) for p in load_fnc1(args.split)[: args.limit]]
    best, reaching = float("inf"), 0
    for _ in range(args.repeats):
        model = EncoderStance(article_cache=BATCH_ARTICLE_CACHE)
        started = time.perf_counter()
        _, pending = model.screen(pairs)
        best = min(best, time.perf_counter() - started)
        reaching = len(pending)
    print(f"FNC-1 {args.split}: {len(pairs)} pairs, {len({a for _, a in pairs})} articles")
    print(f"first stage: {best:.2f} s, {len(pairs) / best:.0f} pairs/s (best of {args.repeats})")
    print(f"reach the encoder: {reaching} ({reaching / max(len(pairs), 1):.1%})")


if __name__ == "__main__":
    main()
