"""Feed leases per second on PostgreSQL with 1, 4 and 8 worker processes, and duplicate leases.

A scratch database on 127.0.0.1:5432 gets N due feeds; each round makes them all due again and
starts W processes that each loop `lease_due_feeds(limit=50)` (one transaction per batch, as the
daemon's tick does) until none is left. Every leased id is counted: an id leased twice is a
duplicate, and there must be none. Prints figures, asserts nothing else.

    .venv/bin/python -m tests.benchmarks.bench_leases [--feeds 10000] [--batch 50]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier

import psycopg
from psycopg import sql
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from monitor.db.engine import create_engine_for, make_session_factory
from monitor.db.feeds import add_feed, lease_due_feeds
from monitor.db.migrate import upgrade
from monitor.db.models import Feed
from monitor.domain import FeedSpec

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKER_COUNTS = (1, 4, 8)
START = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Round:
    workers: int
    seconds: float
    leased: int
    batches: int
    duplicates: int
    missed: int


@contextmanager
def _scratch_database() -> Iterator[str]:
    admin = make_url(PG_ADMIN).set(drivername="postgresql").render_as_string(False)
    name = f"monitor_bench_leases_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _insert_feeds(url: str, count: int) -> None:
    engine = create_engine_for(url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        for n in range(count):
            add_feed(
                session, FeedSpec(f"https://f{n}.bench.test/feed.xml"), source="cli", now=START
            )
    engine.dispose()


def _make_all_due(url: str) -> None:
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.execute(update(Feed).values(next_check_at=START))
    engine.dispose()


def _lease_until_empty(
    url: str, batch: int, barrier: Barrier, results: multiprocessing.Queue[tuple[list[int], int]]
) -> None:
    engine = create_engine_for(url)
    sessions = make_session_factory(engine)
    with engine.connect() as connection:  # open the pooled connection before the clock starts
        connection.execute(text("SELECT 1"))
    now = START + timedelta(minutes=1)
    lease_until = now + timedelta(hours=1)
    leased: list[int] = []
    batches = 0
    barrier.wait()
    while True:
        with sessions.begin() as session:
            states = lease_due_feeds(session, now=now, lease_until=lease_until, limit=batch)
        if not states:
            break
        batches += 1
        leased.extend(state.id for state in states)
    results.put((leased, batches))
    engine.dispose()


def run_round(url: str, workers: int, feeds: int, batch: int) -> Round:
    _make_all_due(url)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers + 1)
    results: multiprocessing.Queue[tuple[list[int], int]] = context.Queue()
    processes = [
        context.Process(target=_lease_until_empty, args=(url, batch, barrier, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    barrier.wait()
    start = time.perf_counter()
    collected = [results.get(timeout=600) for _ in processes]
    seconds = time.perf_counter() - start
    for process in processes:
        process.join()
    counts = Counter(feed_id for ids, _ in collected for feed_id in ids)
    return Round(
        workers=workers,
        seconds=seconds,
        leased=sum(counts.values()),
        batches=sum(batches for _, batches in collected),
        duplicates=sum(1 for n in counts.values() if n > 1),
        missed=feeds - len(counts),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    with _scratch_database() as url:
        engine = create_engine_for(url)
        upgrade(engine)
        engine.dispose()
        started = time.perf_counter()
        _insert_feeds(url, args.feeds)
        print(
            f"PostgreSQL: {args.feeds} due feeds inserted in {time.perf_counter() - started:.2f} s"
        )
        print(f"lease_due_feeds(limit={args.batch}), one transaction per batch, until none is due")
        header = ("workers", "seconds", "leases/s", "batches", "dupes", "missed")
        print("{:>7} {:>8} {:>9} {:>8} {:>6} {:>6}".format(*header))
        for workers in WORKER_COUNTS:
            r = run_round(url, workers, args.feeds, args.batch)
            print(
                f"{r.workers:>7} {r.seconds:>8.2f} {r.leased / r.seconds:>9.0f} {r.batches:>8} "
                f"{r.duplicates:>6} {r.missed:>6}"
            )


if __name__ == "__main__":
    main()
