"""Engines: SQLite pragmas, BEGIN IMMEDIATE under contention (RELIABILITY row 59), URL handling."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from monitor.db.engine import (
    create_engine_for,
    default_database_url,
    make_session_factory,
    parse_database_url,
)
from monitor.errors import DatabaseError


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine_for(default_database_url(tmp_path))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def test_default_database_url_is_monitor_db_in_a_created_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "a dir" / "with 100% odd#names"
    url = default_database_url(data_dir)
    assert data_dir.is_dir()
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (n INTEGER)"))
    finally:
        engine.dispose()
    assert (data_dir / "monitor.db").is_file()


def test_sqlite_pragmas_are_set_on_every_connection(sqlite_engine: Engine) -> None:
    for _ in range(2):
        with sqlite_engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar_one() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar_one() == 1
            assert pragma("PRAGMA busy_timeout").scalar_one() == 5000
            assert pragma("PRAGMA synchronous").scalar_one() == 1  # NORMAL


def test_sqlite_transactions_begin_immediate(sqlite_engine: Engine) -> None:
    # A transaction that has only read already holds the write lock: an outside writer is busy.
    db_file = sqlite_engine.url.database
    assert db_file is not None
    with sqlite_engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM t")).scalar_one()
        outsider = sqlite3.connect(db_file, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                outsider.execute("BEGIN IMMEDIATE")
        finally:
            outsider.close()
        connection.rollback()


def test_read_then_write_waits_for_a_writer_instead_of_failing(sqlite_engine: Engine) -> None:
    """RELIABILITY row 59: the second writer waits (busy timeout) rather than 'database is
    locked', and because it waited before reading, it reads the first writer's commit."""
    factory = make_session_factory(sqlite_engine)
    contender_started = threading.Event()
    outcome: dict[str, object] = {}

    def contender() -> None:
        contender_started.set()
        try:
            with factory() as session, session.begin():
                seen = session.execute(text("SELECT count(*) FROM t")).scalar_one()
                session.execute(text("INSERT INTO t VALUES (2)"))
            outcome["seen"] = seen
        except Exception as exc:
            outcome["error"] = exc

    with factory() as holder, holder.begin():
        holder.execute(text("INSERT INTO t VALUES (1)"))
        thread = threading.Thread(target=contender)
        thread.start()
        assert contender_started.wait(5)
        thread.join(0.3)  # the contender cannot finish while this transaction holds the lock
        assert thread.is_alive(), f"contender did not wait: {outcome}"
    thread.join(10)
    assert not thread.is_alive()
    assert outcome == {"seen": 1}
    with sqlite_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 2


def test_control_without_begin_immediate_read_then_write_fails(tmp_path: Path) -> None:
    """The fault the engine avoids: a deferred transaction that read before another connection
    committed cannot upgrade to a writer, busy timeout or not."""
    path = str(tmp_path / "plain.db")
    first = sqlite3.connect(path, timeout=5, isolation_level=None)
    second = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        first.execute("PRAGMA journal_mode=WAL")
        first.execute("CREATE TABLE t (n INTEGER)")
        second.execute("BEGIN")  # deferred
        second.execute("SELECT count(*) FROM t").fetchone()
        first.execute("INSERT INTO t VALUES (1)")  # commits a newer snapshot
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            second.execute("INSERT INTO t VALUES (2)")
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    ("url", "backend", "driver"),
    [
        ("sqlite:////tmp/x.db", "sqlite", "pysqlite"),
        ("postgresql://u:pw@127.0.0.1/db", "postgresql", "psycopg"),
        ("postgres://u:pw@127.0.0.1/db", "postgresql", "psycopg"),
        ("postgresql+psycopg://u@127.0.0.1/db", "postgresql", "psycopg"),
    ],
)
def test_parse_database_url(url: str, backend: str, driver: str) -> None:
    parsed = parse_database_url(url)
    assert (parsed.get_backend_name(), parsed.get_driver_name()) == (backend, driver)


@pytest.mark.parametrize("url", ["mysql://u:s3cret@127.0.0.1/db", "not a url", "oracle://x"])
def test_unsupported_database_urls_are_database_errors_without_the_password(url: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        create_engine_for(url)
    assert "s3cret" not in str(caught.value)


@pytest.mark.postgres
def test_postgres_engine_pre_pings(migrated_postgres_engine: Engine) -> None:
    engine = migrated_postgres_engine
    assert engine.pool._pre_ping
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1


def test_importing_monitor_db_does_not_import_sqlalchemy() -> None:
    # Pure stages may use the records; they must not drag SQLAlchemy in.
    code = "import sys, monitor.db; print('sqlalchemy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
