"""Benchmark of the ingest queries on SQLite and PostgreSQL; prints figures, asserts nothing.

Run: .venv/bin/python -m tests.benchmarks.db_ingest [--items N] [--articles N]
PostgreSQL is measured in a scratch database on 127.0.0.1 (skipped if unreachable).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from monitor.db import NewArticle
from monitor.db.articles import find_cluster_for, insert_article
from monitor.db.engine import create_engine_for, default_database_url, make_session_factory
from monitor.db.feeds import add_feed, lease_due_feeds
from monitor.db.items import insert_item, known_item_keys
from monitor.db.migrate import upgrade
from monitor.domain import FeedSpec

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _timed(label: str, count: int, work: Callable[[], object]) -> None:
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    print(f"  {label:<46} {elapsed * 1000:9.1f} ms  ({count / elapsed:10.0f} /s)")


def _bands(fp: int) -> tuple[int, int, int, int]:
    b0, b1, b2, b3 = ((fp >> (16 * i)) & 0xFFFF for i in range(4))
    return b0, b1, b2, b3


def run(engine: Engine, n_items: int, n_articles: int) -> None:
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(7)
    keys = [f"https://example.org/story/{n}" for n in range(n_items)]

    with factory.begin() as session:
        feed_id = add_feed(session, FeedSpec("https://example.org/feed"), source="cli", now=NOW).id

    def insert_items() -> None:
        with factory.begin() as session:
            for key in keys:
                insert_item(
                    session,
                    feed_id,
                    key=key,
                    guid=key,
                    link=key,
                    title="t",
                    published_at=NOW,
                    now=NOW,
                    outcome="skipped",
                    error=None,
                    article_id=None,
                )

    _timed(f"insert_item x{n_items} (one transaction)", n_items, insert_items)

    def lookup() -> None:
        with factory() as session:
            probe = keys[:2500] + [f"new-{n}" for n in range(2500)]
            assert len(known_item_keys(session, feed_id, probe)) == 2500

    _timed("known_item_keys, 5000 keys (half known)", 5000, lookup)

    fingerprints = [rng.getrandbits(64) for _ in range(n_articles)]

    def insert_articles() -> None:
        with factory.begin() as session:
            for n, fp in enumerate(fingerprints):
                insert_article(
                    session,
                    NewArticle(
                        url=f"https://example.org/a/{n}",
                        title="t",
                        author=None,
                        publisher=f"p{n % 50}",
                        site_name=None,
                        language="en",
                        published_at=None,
                        fetched_at=NOW,
                        text_status="ok",
                        text="x" * 2000,
                        content_sha256=None,
                        fingerprint=fp,
                        bands=_bands(fp),
                    ),
                    cluster_id=None,
                )

    _timed(f"insert_article x{n_articles} (new clusters)", n_articles, insert_articles)

    probes = [fp ^ (1 << rng.randrange(64)) for fp in rng.sample(fingerprints, 500)]

    def near_duplicates() -> None:
        with factory() as session:
            for probe in probes:
                found = find_cluster_for(
                    session,
                    probe,
                    _bands(probe),
                    max_distance=3,
                    since=NOW - timedelta(days=2),
                )
                assert found is not None

    _timed("find_cluster_for x500 (1-bit neighbours)", 500, near_duplicates)

    with factory.begin() as session:
        for n in range(1000):
            add_feed(session, FeedSpec(f"https://example.org/f/{n}"), source="cli", now=NOW)

    def lease() -> None:
        with factory.begin() as session:
            leased = lease_due_feeds(session, now=NOW, lease_until=NOW + timedelta(minutes=5))
            assert len(leased) == 1001

    _timed("lease_due_feeds, 1001 due feeds", 1001, lease)


@contextmanager
def _postgres_database() -> Iterator[str | None]:
    admin = make_url(PG_ADMIN).set(drivername="postgresql").render_as_string(False)
    name = f"monitor_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped: {exc}")
        yield None
        return
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite (file, WAL)")
        engine = create_engine_for(default_database_url(Path(tmp)))
        run(engine, args.items, args.articles)
        engine.dispose()
    with _postgres_database() as url:
        if url is not None:
            print("PostgreSQL")
            engine = create_engine_for(url)
            run(engine, args.items, args.articles)
            engine.dispose()


if __name__ == "__main__":
    main()
