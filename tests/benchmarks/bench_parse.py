"""Benchmark: parse_feed time for a 50-item feed, a 100,000-item feed, and items per second.

Run: .venv/bin/python -m tests.benchmarks.bench_parse [--repeats 50] [--no-baseline]

Prints the median time to parse a generated 50-item RSS feed (each item with a ~600-character
HTML description) and the real 55-item Guardian feed from the shared data, the time to parse a
generated 100,000-item feed (a ~5 MB one of tiny undated items, and a ~20 MB one of dated items
in shuffled order) cut to its newest 200 items, and items per second. The baseline (skipped with
--no-baseline, ~45 s) times feedparser alone on the big feeds and parse_feed on them when the
byte-level window cannot be used. Also times dedupe.fingerprint on the shared ground-truth texts.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import feedparser

from monitor.dedupe import fingerprint
from monitor.parse import parse_feed
from monitor.parse import rss as rss_module
from tests.fixtures_paths import SHARED_DATA

URL = "https://bench.example.com/feed.xml"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
DESCRIPTION = (
    "&lt;p&gt;The committee met on Tuesday to discuss the proposal, which would change how "
    "&lt;a href='https://bench.example.com/x'&gt;funding&lt;/a&gt; is allocated to regional "
    "projects. Officials said a decision was expected &lt;b&gt;within weeks&lt;/b&gt;, though "
    "several members raised concerns about the timetable.&lt;/p&gt;&lt;p&gt;Critics argued that "
    "the plan had not been costed and that smaller councils would lose out.&lt;/p&gt;"
)


def rss(count: int, *, shuffled: bool = False, rich: bool = False) -> bytes:
    minutes = list(range(count))
    if shuffled:
        random.Random(1).shuffle(minutes)
    items = []
    for m in minutes:
        moment = (EPOCH + timedelta(minutes=m)).strftime("%a, %d %b %Y %H:%M:%S GMT")
        extra = f"<description>{DESCRIPTION}</description><author>desk@example.com</author>"
        items.append(
            f"<item><title>Story number {m} about the committee</title>"
            f"<link>https://bench.example.com/story/{m}?utm_source=rss</link>"
            f"<guid>story-{m}</guid><pubDate>{moment}</pubDate>{extra if rich else ''}</item>"
        )
    return wrap("".join(items))


def tiny_rss(count: int) -> bytes:
    """About 50 bytes per item, undated: 100,000 items make the ~5 MB feed of RELIABILITY row 5."""
    return wrap("".join(f"<item><title>T{i}</title><guid>g{i}</guid></item>" for i in range(count)))


def wrap(items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench</title>'
        f"<link>https://bench.example.com/</link>{items}</channel></rss>"
    ).encode()


def full_parse(body: bytes) -> object:
    """parse_feed with the byte-level window switched off, as when its scanner gives up."""
    original = rss_module.newest_window
    rss_module.newest_window = lambda data, limit: None
    try:
        return parse_feed(body, url=URL)
    finally:
        rss_module.newest_window = original


def median_ms(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def once_s(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    small = rss(50, rich=True)
    ms = median_ms(lambda: parse_feed(small, url=URL), args.repeats)
    rate = 50 / ms * 1000
    print(f"50-item feed ({len(small) / 1024:.0f} KiB): {ms:.2f} ms median, {rate:,.0f} items/s")

    guardian = (SHARED_DATA / "feeds" / "14_guardian_world.rss2.xml").read_bytes()
    ms = median_ms(lambda: parse_feed(guardian, url=URL), args.repeats)
    print(f"Guardian 55-item feed ({len(guardian) / 1024:.0f} KiB): {ms:.2f} ms median")

    for label, big in (
        ("~50-byte undated items", tiny_rss(100_000)),
        ("dated items in shuffled order", rss(100_000, shuffled=True)),
    ):
        seconds = once_s(lambda big=big: parse_feed(big, url=URL))
        print(
            f"100,000-item feed, {label} ({len(big) / 1e6:.1f} MB) -> newest 200: "
            f"{seconds:.2f} s, {100_000 / seconds:,.0f} items/s"
        )
        if not args.no_baseline:
            seconds = once_s(lambda big=big: feedparser.parse(big))
            print(f"  baseline, feedparser alone: {seconds:.2f} s")
            seconds = once_s(lambda big=big: full_parse(big))
            print(f"  parse_feed if the byte-level window could not be used: {seconds:.2f} s")

    texts = [p.read_text(encoding="utf-8") for p in sorted((SHARED_DATA / "html").glob("*.txt"))]
    words = sum(len(t.split()) for t in texts)
    ms = median_ms(lambda: [fingerprint(t) for t in texts], max(3, args.repeats // 10))
    print(f"fingerprint: {ms / len(texts):.2f} ms per article ({words / len(texts):.0f} words avg)")


if __name__ == "__main__":
    main()
