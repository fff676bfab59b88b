"""Daemon faults around storage (RELIABILITY rows 57, 58, 60, 62): kill -9 during `monitor db
upgrade`, a full SQLite file, PostgreSQL going away under the worker, and a two-day downtime.
Real subprocesses, real SQLite files and PostgreSQL databases, loopback HTTP peers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from psycopg import sql
from sqlalchemy import Engine, event, func, inspect, select, text
from sqlalchemy.engine import URL, make_url

from monitor.app import Database, open_sender, open_services
from monitor.db import feeds as feed_rows
from monitor.db.engine import create_engine_for, make_session_factory
from monitor.db.migrate import current_revision, head_revision, upgrade
from monitor.db.models import Base, Delivery, Feed
from monitor.delivery import channels_from_settings, register_channels
from monitor.domain import FeedSpec
from monitor.settings import FetchSettings, Settings
from monitor.worker import Worker
from monitor.worker_settings import DaemonSettings
from tests.fixtures_db import POSTGRES_ADMIN_URL
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import Item, rss
from tests.webhook_receiver import WebhookReceiver

SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
START = datetime(2026, 3, 1, 12, tzinfo=UTC)
KILL_FRACTIONS = (0.35, 0.6, 0.8, 0.95)  # of a full `monitor db upgrade` run


# --- row 57: kill -9 during `monitor db upgrade` -------------------------------------------


def _upgrade_process(tmp_path: Path, url: str) -> subprocess.Popen[bytes]:
    config = tmp_path / "empty.toml"
    config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(MONITOR_DATABASE_URL=url, MONITOR_DATA_DIR=str(tmp_path / "data"))
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "db", "upgrade", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _timed_full_upgrade(tmp_path: Path, url: str) -> float:
    started = time.monotonic()
    process = _upgrade_process(tmp_path, url)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output.decode()
    return time.monotonic() - started


def _kill_mid_upgrade_then_finish(
    tmp_path: Path, url: str, delay: float, reset: Callable[[], None]
) -> str | None:
    """Reset to an empty database, start an upgrade, SIGKILL it after `delay` s; check the
    database is at no revision (and has no tables) or at head, then upgrade it in process."""
    reset()
    process = _upgrade_process(tmp_path, url)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    engine = create_engine_for(url)
    try:
        seen = current_revision(engine)
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert seen in (None, head_revision())
        if seen is None:  # rolled back whole: not one table of the schema is left behind
            assert tables == set()
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
    return seen


def test_kill_9_during_upgrade_on_sqlite_leaves_none_or_head_and_restart_completes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kill.db"
    url = URL.create("sqlite", database=str(path)).render_as_string()
    full = _timed_full_upgrade(tmp_path, url)

    def reset() -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    seen = [_kill_mid_upgrade_then_finish(tmp_path, url, full * f, reset) for f in KILL_FRACTIONS]
    assert len(seen) == len(KILL_FRACTIONS)


@pytest.mark.postgres
def test_kill_9_during_upgrade_on_postgresql_leaves_none_or_head_and_restart_completes(
    tmp_path: Path, create_postgres_database: Callable[[str], str]
) -> None:
    url = create_postgres_database("killmigrate")
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def reset() -> None:
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")

    full = _timed_full_upgrade(tmp_path, url)
    for fraction in KILL_FRACTIONS[1:3]:
        _kill_mid_upgrade_then_finish(tmp_path, url, full * fraction, reset)


KILL_INSIDE_MIGRATION = """
import os, signal, sys
from sqlalchemy import Engine, event

@event.listens_for(Engine, "after_cursor_execute")
def die_in_0003(conn, cursor, statement, parameters, context, executemany):
    if "CREATE TABLE deliveries" in statement:  # 0001 and 0002 already ran, 0003 half-way
        os.kill(os.getpid(), signal.SIGKILL)

from monitor.cli import main
sys.argv = ["monitor", "db", "upgrade", "--config", sys.argv[1]]
main()
"""


def test_kill_9_inside_the_last_migration_rolls_back_all_of_them(
    db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "empty.toml"
    config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(MONITOR_DATABASE_URL=db_url, MONITOR_DATA_DIR=str(tmp_path / "data"))
    child = subprocess.run(
        [sys.executable, "-c", KILL_INSIDE_MIGRATION, str(config)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    engine = create_engine_for(db_url)
    try:
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
        upgrade(engine)  # the restart completes it
        assert current_revision(engine) == head_revision()
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


# --- in-process workers with an injected clock (rows 58, 60, 62) ---------------------------


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


def make_settings(fetch: FetchSettings, **extra: Any) -> Settings:
    return Settings.model_validate(
        {
            "fetch": fetch.model_dump(),
            "parse": {"deadline": 10.0},
            "extract": {"deadline": 10.0, "workers": 1},
            **extra,
        }
    )


@asynccontextmanager
async def open_worker(
    db: Database, settings: Settings, clock: Clock, **daemon: Any
) -> AsyncIterator[Worker]:
    async with (
        open_services(settings, db, clock=clock) as services,
        open_sender(settings, db, clock=clock) as sender,
    ):
        yield Worker(services, sender, channels_from_settings(settings), DaemonSettings(**daemon))


def add_feed(db: Database, server: LoopbackHTTPServer, path: str, now: datetime) -> int:
    with db.sessions.begin() as session:
        return feed_rows.add_feed(session, FeedSpec(server.url(path)), source="cli", now=now).id


def serve_items(server: LoopbackHTTPServer, path: str, count: int, **route: Any) -> None:
    """A feed of `count` items with long titles, linking to pages that answer 404 (stored as
    items with an error, no extraction)."""
    items = [
        Item(f"Story {i} " + "long title " * 40, server.url(f"/gone-{i}")) for i in range(count)
    ]
    server.route(path, body=rss(items), content_type="application/rss+xml", **route)


def count_rows(db: Database, table: str) -> int:
    with db.sessions() as session:
        return int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def feed_state(db: Database, feed_id: int) -> feed_rows.FeedState:
    with db.sessions() as session:
        state = feed_rows.get_feed_by_id(session, feed_id)
    assert state is not None
    return state


# --- row 58: SQLITE_FULL -------------------------------------------------------------------


@pytest.fixture
def capped_sqlite(tmp_path: Path) -> Iterator[tuple[Database, list[int]]]:
    """A migrated SQLite file whose connections get `PRAGMA max_page_count = cap[0]` on every
    checkout from the pool: a full disk that the test can free again."""
    engine = create_engine_for(
        URL.create("sqlite", database=str(tmp_path / "m.db")).render_as_string()
    )
    upgrade(engine)
    cap = [1_073_741_823]

    @event.listens_for(engine, "checkout")
    def _cap(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {cap[0]}")

    yield Database(engine=engine, sessions=make_session_factory(engine)), cap
    engine.dispose()


def test_a_full_sqlite_file_fails_the_poll_clearly_without_partial_rows_then_recovers(
    capped_sqlite: tuple[Database, list[int]],
    http_server: LoopbackHTTPServer,
    fetch_settings: FetchSettings,
) -> None:
    db, cap = capped_sqlite
    clock = Clock()
    settings = make_settings(fetch_settings)
    serve_items(http_server, "/big.xml", 40)
    feed_id = add_feed(db, http_server, "/big.xml", START)
    with db.engine.connect() as connection:
        cap[0] = int(connection.exec_driver_sql("PRAGMA page_count").scalar() or 0)

    async def go() -> tuple[int, feed_rows.FeedState, int, int]:
        async with open_worker(db, settings, clock, feed_lease=60) as worker:
            full = await worker.tick()  # must not raise: the daemon keeps running
            cap[0] = 1_073_741_823  # space is back
            failed = feed_state(db, feed_id)
            items_then = count_rows(db, "items")
            clock.now = max(failed.next_check_at, START + timedelta(seconds=61))
            again = await worker.tick()
        return full.leased, failed, items_then, again.leased

    leased, failed, items_then, leased_again = asyncio.run(go())
    assert leased == 1
    assert items_then == 0  # the poll's one transaction rolled back whole
    assert failed.last_success_at is None
    assert failed.last_error is not None and "full" in failed.last_error, failed.last_error
    assert failed.consecutive_failures == 1
    assert failed.next_check_at > START  # retried later, on the failure schedule
    assert leased_again == 1
    assert count_rows(db, "items") == 40
    assert len(http_server.requests_to("/big.xml")) == 2
    recovered = feed_state(db, feed_id)
    assert (recovered.last_success_at, recovered.last_error) == (clock.now, None)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


# --- row 60: PostgreSQL goes away ----------------------------------------------------------


@pytest.fixture
def own_postgres(create_postgres_database: Callable[[str], str]) -> Iterator[tuple[Database, str]]:
    url = create_postgres_database("unreachable")
    engine = create_engine_for(url)
    upgrade(engine)
    yield (
        Database(engine=engine, sessions=make_session_factory(engine)),
        make_url(url).database or "",
    )
    engine.dispose()


def _admin(sql_text: sql.Composed) -> None:
    libpq = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(libpq.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql_text)


def terminate_backends(name: str) -> None:
    _admin(
        sql.SQL(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = {} AND pid <> pg_backend_pid()"
        ).format(sql.Literal(name))
    )


def allow_connections(name: str, allowed: bool) -> None:
    _admin(
        sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
            sql.Identifier(name), sql.SQL("true" if allowed else "false")
        )
    )
    if not allowed:
        terminate_backends(name)


@pytest.mark.postgres
def test_backends_terminated_between_ticks_the_next_tick_reconnects(
    own_postgres: tuple[Database, str],
    http_server: LoopbackHTTPServer,
    fetch_settings: FetchSettings,
) -> None:
    db, name = own_postgres
    clock = Clock()
    settings = make_settings(fetch_settings)
    serve_items(http_server, "/a.xml", 3)
    serve_items(http_server, "/b.xml", 3)
    add_feed(db, http_server, "/a.xml", START)
    assert db.engine.pool._pre_ping  # a dead pooled connection is replaced on checkout

    async def go() -> tuple[int, int]:
        async with open_worker(db, settings, clock) as worker:
            first = await worker.tick()
            terminate_backends(name)  # every pooled connection is now dead
            add_feed(db, http_server, "/b.xml", START)
            second = await worker.tick()
        return first.leased, second.leased

    assert asyncio.run(go()) == (1, 1)
    assert count_rows(db, "items") == 6
    assert len(http_server.requests_to("/a.xml")) == 1
    assert len(http_server.requests_to("/b.xml")) == 1


@pytest.mark.postgres
def test_postgresql_unreachable_mid_poll_fails_cleanly_and_the_feed_is_polled_again(
    own_postgres: tuple[Database, str],
    http_server: LoopbackHTTPServer,
    fetch_settings: FetchSettings,
) -> None:
    db, name = own_postgres
    clock = Clock()
    settings = make_settings(fetch_settings)
    serve_items(http_server, "/slow.xml", 5, delay=0.5)
    feed_id = add_feed(db, http_server, "/slow.xml", START)

    async def go() -> list[int]:
        leased = []
        async with open_worker(db, settings, clock, feed_lease=60) as worker:
            tick = asyncio.create_task(worker.tick())
            while not http_server.requests_to("/slow.xml"):
                await asyncio.sleep(0.01)
            await asyncio.to_thread(allow_connections, name, False)  # the server "restarts"
            leased.append((await tick).leased)  # logged as a failed tick, not raised
            leased.append((await worker.tick()).leased)  # still down: nothing, no crash
            await asyncio.to_thread(allow_connections, name, True)
            leased.append((await worker.tick()).leased)  # the feed is still leased
            clock.now = START + timedelta(seconds=61)  # the lease ran out
            leased.append((await worker.tick()).leased)
            leased.append((await worker.tick()).leased)
        return leased

    try:
        assert asyncio.run(go()) == [0, 0, 0, 1, 0]
    finally:
        allow_connections(name, True)
    assert count_rows(db, "items") == 5  # nothing lost, nothing twice
    assert len(http_server.requests_to("/slow.xml")) == 2
    assert feed_state(db, feed_id).last_success_at == START + timedelta(seconds=61)


# --- row 62: two days down -----------------------------------------------------------------


def test_after_two_days_down_each_feed_is_polled_once_and_each_channel_gets_one_digest(
    engine: Engine, http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    db = Database(engine=engine, sessions=make_session_factory(engine))
    clock = Clock()
    paths = [f"/feed-{i}.xml" for i in range(5)]
    for path in paths:
        http_server.route(path, body=rss([]), content_type="application/rss+xml")
        add_feed(db, http_server, path, START)
    with WebhookReceiver(SECRET) as hook_a, WebhookReceiver(SECRET) as hook_b:
        channels = [
            {
                "id": cid,
                "type": "webhook",
                "url": r.url("/h"),
                "secret": SECRET,
                "allow_private": True,
            }
            for cid, r in (("a", hook_a), ("b", hook_b))
        ]
        settings = make_settings(
            fetch_settings, channels=channels, delivery={"feed_failing_after": 1}
        )
        with db.sessions.begin() as session:
            register_channels(session, channels_from_settings(settings), now=START)

        async def before() -> int:
            async with open_worker(db, settings, clock) as worker:
                return (await worker.tick()).leased

        assert asyncio.run(before()) == 5
        for path in paths:  # while monitor was down, every feed broke
            http_server.route(path, status=404, body=b"gone")
        clock.now = START + timedelta(days=2)

        async def after_restart() -> list[tuple[int, int]]:
            async with open_worker(db, settings, clock) as worker:
                ticks = [await worker.tick() for _ in range(3)]
            return [(t.leased, len(t.sent)) for t in ticks]

        assert asyncio.run(after_restart()) == [(5, 2), (0, 0), (0, 0)]
        for receiver in (hook_a, hook_b):
            [request] = receiver.requests  # one summary, not one per feed or missed interval
            assert request.header("webhook-id")  # signed with the injected clock's time
            for path in paths:
                assert path.encode() in request.body
    for path in paths:
        assert len(http_server.requests_to(path)) == 2  # before, and once after the downtime
    with db.sessions() as session:
        assert list(session.scalars(select(Delivery.status))) == ["sent", "sent"]
        overdue = session.scalar(select(func.count()).where(Feed.next_check_at <= clock.now))
    assert overdue == 0
