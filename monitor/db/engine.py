"""Engines and sessions for SQLite and PostgreSQL, with the connection settings monitor relies on.

SQLite: WAL, foreign keys on, busy_timeout 5000 ms, synchronous NORMAL, and every transaction
starts with BEGIN IMMEDIATE, so a read-then-write transaction waits for a concurrent writer
instead of failing with 'database is locked'. PostgreSQL: pre-ping pooled connections.
Opening an engine does no I/O; connecting does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import DatabaseError

SQLITE_BUSY_TIMEOUT_MS = 5000
DATABASE_FILE_NAME = "monitor.db"


def default_database_url(data_dir: Path) -> str:
    """The SQLite file `monitor.db` in `data_dir` (created if missing) as a database URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / DATABASE_FILE_NAME).resolve()
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def parse_database_url(url: str) -> URL:
    """Parse a database URL; DatabaseError (without the password) when it is not one we support."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError("the database URL cannot be parsed") from None
    if parsed.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver monitor installs; plain postgresql:// would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        shown = parsed.render_as_string(hide_password=True)
        raise DatabaseError(f"unsupported database {shown!r}: use sqlite:/// or postgresql://")
    return parsed


def create_engine_for(url: str) -> Engine:
    """An Engine for a SQLite or PostgreSQL URL, configured as the module docstring says."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose loaded values stay readable after commit (expire_on_commit=False)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: URL) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 module (it skips it before SELECTs); we emit our own.
        dbapi_connection.isolation_level = None
        for pragma in (
            f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
            "PRAGMA foreign_keys = ON",
            "PRAGMA synchronous = NORMAL",
        ):
            dbapi_connection.execute(pragma)
        if not in_memory:
            mode = dbapi_connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise DatabaseError(f"SQLite refused WAL mode (journal_mode is {mode!r})")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
