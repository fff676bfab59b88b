"""Database fixtures: fresh and migrated SQLite and PostgreSQL databases, engines and sessions.

Every storage test runs on both backends through the parametrised `db_url` (a fresh, empty
database) or `engine` (migrated to head, emptied before each test) fixtures. PostgreSQL: this
session creates uniquely named databases on the server (via the `test` database) and drops them
at the end. When the server cannot be reached the postgres cases are skipped, except when
CI=true: then they fail, because CI must test PostgreSQL.
"""

from __future__ import annotations

import ipaddress
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.engine import create_engine_for, make_session_factory
from monitor.db.migrate import upgrade
from monitor.db.models import Base
from tests.fixtures_paths import IN_CI

# MONITOR_TEST_POSTGRES_URL may name another server, but tests only ever talk to loopback.
POSTGRES_ADMIN_URL = os.environ.get(
    "MONITOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _libpq_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def require_postgres(admin_url: str = POSTGRES_ADMIN_URL) -> URL:
    """The admin URL when the server answers; otherwise skip (outside CI) or fail (CI=true)."""
    url = make_url(admin_url)
    host = url.host or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        pytest.fail(f"the test PostgreSQL server must be on a loopback address, not {host!r}")
    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        message = f"PostgreSQL unreachable at {url.render_as_string(hide_password=True)}: {exc}"
        if IN_CI:
            pytest.fail(message + " (PostgreSQL is required when CI=true)")
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def postgres_admin_url() -> URL:
    return require_postgres()


@pytest.fixture(scope="session")
def create_postgres_database(postgres_admin_url: URL) -> Iterator[Callable[[str], str]]:
    """A factory: purpose -> URL of a new, uniquely named database, dropped at session end."""
    created: list[str] = []

    def create(purpose: str) -> str:
        name = f"monitor_test_{os.getpid()}_{uuid.uuid4().hex[:8]}_{purpose}"
        with psycopg.connect(_libpq_url(postgres_admin_url), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return postgres_admin_url.set(database=name).render_as_string(hide_password=False)

    yield create
    with psycopg.connect(_libpq_url(postgres_admin_url), autocommit=True) as connection:
        for name in created:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def postgres_scratch_url(create_postgres_database: Callable[[str], str]) -> str:
    return create_postgres_database("scratch")


def _empty_postgres(url: str) -> None:
    with psycopg.connect(_libpq_url(make_url(url)), autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, empty database (never migrated): a SQLite file, or PostgreSQL."""
    if request.param == "sqlite":
        return URL.create("sqlite", database=str(tmp_path / "monitor.db")).render_as_string()
    url: str = request.getfixturevalue("postgres_scratch_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def fresh_engine(db_url: str) -> Iterator[Engine]:
    """An engine on the fresh, unmigrated `db_url` database; disposed after the test."""
    engine = create_engine_for(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("db") / "monitor.db"
    engine = create_engine_for(URL.create("sqlite", database=str(path)).render_as_string())
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_postgres_engine(
    create_postgres_database: Callable[[str], str],
) -> Iterator[Engine]:
    engine = create_engine_for(create_postgres_database("migrated"))
    upgrade(engine)
    yield engine
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row of the models' tables (children first); the schema stays."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """An engine on a database migrated to head, with all tables empty."""
    name = "migrated_sqlite_engine" if request.param == "sqlite" else "migrated_postgres_engine"
    migrated: Engine = request.getfixturevalue(name)
    empty_tables(migrated)
    return migrated


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for one test; whatever it did not commit is rolled back."""
    with session_factory() as db_session:
        yield db_session
