"""End-to-end feed polls per second through the real pipeline (fetch, parse, dedupe, SQLite).

A loopback server in a separate process (so its CPU is not counted) serves N feeds under N host
names with a simulated latency; every feed is polled concurrently, as `monitor check` does.
Rounds: all new (each feed a fresh 50-item body whose items have no links, so the figure is the
feed path alone), all 304 (conditional GET), and new items with article pages (5 linked items per
feed: page fetch and extraction in the worker pool). Ideal = N feeds / latency per request.

    .venv/bin/python -m tests.benchmarks.bench_poll [--feeds 100] [--latency 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from monitor.app import Services, open_database
from monitor.db import FeedState
from monitor.db import feeds as feed_rows
from monitor.domain import FeedSpec
from monitor.fetch import Fetcher
from monitor.pipeline import poll_feeds
from monitor.sandbox import Sandbox
from monitor.settings import ExtractSettings, FetchSettings, Settings
from monitor.watchlist import Watchlist
from tests.fixtures_http import FakeResolver, LoopbackHTTPServer
from tests.pipeline_world import PARAGRAPHS, Item, article_page, rss


def _serve(feeds: int, latency: float, ready: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    server = LoopbackHTTPServer().start()
    page = article_page("Story", PARAGRAPHS)
    for n in range(feeds):
        for rnd in ("new", "304"):
            items = [Item(f"{rnd} {n}-{i}", "", guid=f"{rnd}-{n}-{i}") for i in range(50)]
            server.route(f"/{rnd}/{n}.xml", body=rss(items), delay=latency, etag=f'"{n}"')
        host = f"f{n}.bench.test"
        linked = [Item(f"a{n}-{i}", server.url(f"/page/{n}/{i}", host=host)) for i in range(5)]
        server.route(f"/pages/{n}.xml", body=rss(linked), delay=latency)
        for i in range(5):
            server.route(f"/page/{n}/{i}", body=page, content_type="text/html", delay=latency)
    ready.put(server.port)
    while True:
        time.sleep(3600)


@dataclass
class Round:
    name: str
    polls: int
    seconds: float
    cpu_s: float
    outcomes: Counter[str]


async def _round(
    name: str, settings: Settings, sessions, pool: Sandbox, feeds: list[FeedState], resolver
) -> Round:  # type: ignore[no-untyped-def]
    cpu0, t0 = time.process_time(), time.perf_counter()
    async with Fetcher(settings.fetch, user_agent="bench/1", resolver=resolver) as fetcher:
        watchlist = Watchlist.from_settings(settings)
        services = Services(
            settings, sessions, fetcher, pool, pool, clock=_now, watchlist=watchlist
        )
        results = await poll_feeds(services, feeds)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return Round(name, len(feeds), seconds, cpu, Counter(r.outcome.value for r in results))


def _now():  # type: ignore[no-untyped-def]
    from monitor.app import utc_now

    return utc_now()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()

    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=_serve, args=(args.feeds, args.latency, ready))
    server.start()
    port = ready.get(timeout=60)
    hosts = {f"f{n}.bench.test": ["127.0.0.1"] for n in range(args.feeds)}
    resolver = FakeResolver(hosts)
    settings = Settings(
        fetch=FetchSettings(
            allow_private=("127.0.0.1/32",), per_host_spacing=0, max_in_flight=args.feeds
        ),
        extract=ExtractSettings(workers=2),
    )
    ideal = args.feeds / args.latency
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            open_database(f"sqlite:///{Path(tmp) / 'bench.db'}") as db,
            Sandbox(
                workers=2, memory_limit=1024**3, preload=("monitor.parse", "monitor.extract")
            ) as pool,
        ):
            rounds = []
            for kind in ("new", "304", "pages"):
                with db.sessions.begin() as session:
                    feeds = [
                        feed_rows.add_feed(
                            session,
                            FeedSpec(f"http://f{n}.bench.test:{port}/{kind}/{n}.xml"),
                            source="cli",
                            now=_now(),
                        )
                        for n in range(args.feeds)
                    ]
                first = asyncio.run(_round(kind, settings, db.sessions, pool, feeds, resolver))
                if kind == "304":  # the first round stored the ETags; measure the second
                    first = asyncio.run(
                        _round("304", settings, db.sessions, pool, _reload(db, feeds), resolver)
                    )
                rounds.append(first)
    finally:
        server.kill()
    print(
        f"{args.feeds} feeds in flight, {args.latency * 1000:.0f} ms latency per request, "
        f"ideal {ideal:.0f} polls/s (one request per feed)"
    )
    for r in rounds:
        rate = r.polls / r.seconds
        label = {
            "new": "all new (50 items)",
            "304": "all 304",
            "pages": "new + 5 article pages each",
        }[r.name]
        print(
            f"  {label:28s} {rate:7.1f} polls/s  ratio to ideal {rate / ideal:5.2f}  "
            f"CPU {1000 * r.cpu_s / r.polls:6.2f} ms/poll  {dict(r.outcomes)}"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the polling process: {rss_mb:.0f} MB")


def _reload(db, feeds: list[FeedState]) -> list[FeedState]:  # type: ignore[no-untyped-def]
    with db.sessions() as session:
        return [feed_rows.get_feed_by_id(session, f.id) for f in feeds]  # type: ignore[misc]


if __name__ == "__main__":
    main()
