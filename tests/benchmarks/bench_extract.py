"""Benchmark: articles extracted per second, in-process and through a 2-worker Sandbox.

Run: .venv/bin/python -m tests.benchmarks.bench_extract [--rounds N]

Prints throughput over the 20 shared html pages, the sandbox's per-task overhead (a trivial
function, and extraction in the sandbox versus in-process), and, in fresh processes for the
``forkserver`` start method that Sandbox uses and for ``spawn``, the start-up time (fork server
with monitor.extract preloaded, then two workers) and the time to replace killed workers.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from monitor import sandbox as sandbox_module
from monitor.extract import extract_article
from monitor.sandbox import Sandbox, SandboxTimeoutError
from tests.fixtures_paths import SHARED_DATA

MiB = 1024**2
Page = tuple[bytes, str]


def load_pages() -> list[Page]:
    pages = []
    for path in sorted((SHARED_DATA / "html").glob("*.html")):
        meta = path.with_name(path.name.removesuffix(".html") + ".groundtruth.json")
        pages.append((path.read_bytes(), json.loads(meta.read_text(encoding="utf-8"))["url"]))
    return pages


def nothing() -> None:
    return None


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def in_process(pages: list[Page], rounds: int) -> float:
    for html, url in pages:  # warm-up: lazy imports, caches
        extract_article(html, url=url)
    start = time.perf_counter()
    for _ in range(rounds):
        for html, url in pages:
            extract_article(html, url=url)
    return rounds * len(pages) / (time.perf_counter() - start)


async def through_sandbox(pages: list[Page], rounds: int) -> None:
    start = time.perf_counter()
    box = Sandbox(workers=2, memory_limit=1024 * MiB, preload=("monitor.extract",))
    await box.run(nothing, deadline=10)
    startup_s = time.perf_counter() - start
    try:
        jobs = [(functools.partial(extract_article, url=url), html) for html, url in pages]
        for fn, html in jobs:  # warm-up both workers
            await asyncio.gather(box.run(fn, html, deadline=20), box.run(fn, html, deadline=20))

        start = time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*(box.run(fn, html, deadline=20) for fn, html in jobs))
        parallel_rate = rounds * len(jobs) / (time.perf_counter() - start)

        start = time.perf_counter()
        for _ in range(rounds):
            for fn, html in jobs:
                await box.run(fn, html, deadline=20)
        sequential_per_page_s = (time.perf_counter() - start) / (rounds * len(jobs))

        trivial = []
        for _ in range(500):
            tick = time.perf_counter()
            await box.run(nothing, deadline=5)
            trivial.append(time.perf_counter() - tick)

    finally:
        box.close()

    print(f"sandbox start-up (fork server + 2 workers, first result): {startup_s * 1000:.0f} ms")
    print(f"sandbox, 2 workers, all pages in flight: {parallel_rate:.1f} articles/s")
    print(f"sandbox, one at a time: {sequential_per_page_s * 1000:.2f} ms per article")
    print(
        f"sandbox per-task overhead, trivial function: median "
        f"{statistics.median(trivial) * 1000:.3f} ms, p95 "
        f"{statistics.quantiles(trivial, n=20)[-1] * 1000:.3f} ms"
    )


async def startup_and_replacement() -> tuple[float, float]:
    """Seconds until 2 fresh workers answer; then until workers killed at a deadline are back."""
    start = time.perf_counter()
    with Sandbox(workers=2, memory_limit=1024 * MiB, preload=("monitor.extract",)) as box:
        await asyncio.gather(box.run(nothing, deadline=10), box.run(nothing, deadline=10))
        startup_s = time.perf_counter() - start
        replacements = []
        for _ in range(3):
            # Both workers are killed, so the next task has to wait for a new one.
            outcomes = await asyncio.gather(
                box.run(sleep, 10, deadline=0.2),
                box.run(sleep, 10, deadline=0.2),
                return_exceptions=True,
            )
            assert all(isinstance(o, SandboxTimeoutError) for o in outcomes), outcomes
            tick = time.perf_counter()
            await box.run(nothing, deadline=10)
            replacements.append(time.perf_counter() - tick)
    return startup_s, statistics.median(replacements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--startup-only", choices=["forkserver", "spawn"])
    args = parser.parse_args()
    if args.startup_only:
        sandbox_module._START_METHOD = args.startup_only  # benchmark only: compare start methods
        startup_s, replacement_s = asyncio.run(startup_and_replacement())
        print(f"{startup_s * 1000:.0f} {replacement_s * 1000:.0f}")
        return

    if not (SHARED_DATA / "html").is_dir():
        sys.exit(f"shared data not found at {SHARED_DATA}")
    pages = load_pages()
    size = sum(len(html) for html, _ in pages)
    print(f"{len(pages)} pages, {size / MiB:.1f} MiB, {args.rounds} rounds")
    per_s = in_process(pages, args.rounds)
    print(f"in-process: {per_s:.1f} articles/s ({1000 / per_s:.2f} ms per article)")
    asyncio.run(through_sandbox(pages, args.rounds))
    for method in ("forkserver", "spawn"):
        runs = [
            subprocess.run(
                [sys.executable, "-m", __spec__.name, "--startup-only", method],
                capture_output=True,
                text=True,
                check=True,
                cwd=Path(__file__).resolve().parents[2],
            ).stdout.split()[-2:]
            for _ in range(3)
        ]
        startup = statistics.median(float(r[0]) for r in runs)
        replacement = statistics.median(float(r[1]) for r in runs)
        print(
            f"{method}: fresh process to 2 workers answering {startup:.0f} ms; "
            f"first task after a deadline kill of both workers {replacement:.0f} ms"
        )


if __name__ == "__main__":
    main()
