"""The composition root: builds the database, HTTP client and process pool once, from settings.

Everything the pipeline needs is created here and passed down; nothing is global, so tests can
hand in their own pieces (a resolver, a clock, a database URL).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.config_loader import data_dir
from monitor.db.engine import create_engine_for, default_database_url, make_session_factory
from monitor.db.migrate import upgrade
from monitor.delivery import Sender, channels_from_settings
from monitor.fetch import Fetcher, Resolver, default_user_agent
from monitor.notify.base import Notifier
from monitor.notify.factory import build_notifiers
from monitor.sandbox import Sandbox
from monitor.settings import Settings
from monitor.watchlist import Watchlist

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def database_url(settings: Settings, env: Mapping[str, str]) -> str:
    """The configured database URL, else SQLite in the data directory."""
    if settings.database.url is not None:
        return settings.database.url.get_secret_value()
    return default_database_url(data_dir(env))


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


@contextlib.contextmanager
def open_database(url: str, *, migrate: bool = True) -> Iterator[Database]:
    """An engine and session factory for `url`, upgraded to the current schema first."""
    engine = create_engine_for(url)
    try:
        if migrate:
            upgrade(engine)
        yield Database(engine=engine, sessions=make_session_factory(engine))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Services:
    """What one pipeline run needs: all built once, shared by every feed."""

    settings: Settings
    sessions: sessionmaker[Session]
    fetcher: Fetcher
    parse_pool: Sandbox
    extract_pool: Sandbox
    clock: Clock
    watchlist: Watchlist


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    db: Database,
    *,
    resolver: Resolver | None = None,
    clock: Clock = utc_now,
    watchlist: Watchlist | None = None,
) -> AsyncIterator[Services]:
    """Build the fetcher and the worker pool; close them on exit."""
    user_agent = settings.fetch.user_agent or default_user_agent()
    workers = settings.extract.workers
    parse_pool = Sandbox(
        workers=workers, memory_limit=settings.parse.memory_limit, preload=("monitor.parse",)
    )
    extract_pool = Sandbox(
        workers=workers, memory_limit=settings.extract.memory_limit, preload=("monitor.extract",)
    )
    try:
        async with Fetcher(settings.fetch, user_agent=user_agent, resolver=resolver) as fetcher:
            yield Services(
                settings=settings,
                sessions=db.sessions,
                fetcher=fetcher,
                parse_pool=parse_pool,
                extract_pool=extract_pool,
                clock=clock,
                watchlist=watchlist or Watchlist.from_settings(settings),
            )
    finally:
        parse_pool.close()
        extract_pool.close()


@contextlib.asynccontextmanager
async def open_sender(
    settings: Settings,
    db: Database,
    *,
    resolver: Resolver | None = None,
    clock: Clock = utc_now,
    rng: random.Random | None = None,
    notifiers: Mapping[str, Notifier] | None = None,
) -> AsyncIterator[Sender]:
    """Build the notifiers of the configured channels (or use `notifiers`); close them on exit."""
    built = (
        dict(notifiers) if notifiers is not None else build_notifiers(settings, resolver=resolver)
    )
    try:
        yield Sender(
            sessions=db.sessions,
            channels={c.id: c for c in channels_from_settings(settings)},
            notifiers=built,
            clock=clock,
            lease_s=settings.delivery.lease,
            rng=rng or random.Random(),
        )
    finally:
        for notifier in built.values():
            await notifier.aclose()


def file_feed_url(path: Path) -> str:
    """The identity under which a local feed file passed to `monitor check --feed` is stored."""
    return path.resolve().as_uri()
