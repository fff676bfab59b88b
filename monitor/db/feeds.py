"""Queries on the feeds table: configured and added feeds, and their polling state.

Does database I/O through the Session it is given; never commits (the caller owns the
transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Select, Table, delete, func, select, update
from sqlalchemy.orm import Session

from monitor.db.chunking import chunks
from monitor.db.dialect_insert import insert_ignoring_conflicts, rowcount
from monitor.db.models import FEED_SOURCES, MAX_FEED_URL_LENGTH, Feed
from monitor.db.records import FeedState
from monitor.domain import FeedSpec

__all__ = [
    "FeedState",
    "add_feed",
    "count_feeds",
    "get_feed",
    "get_feed_by_id",
    "lease_due_feeds",
    "list_feeds",
    "record_feed_failure",
    "record_feed_success",
    "remove_feed",
    "sync_config_feeds",
]

# Feeds `monitor check --feed URL` created; a [[feeds]] entry for the same URL adopts them.
_ADOPTABLE_BY_CONFIG = ("config", "check")


_FEEDS = cast(Table, Feed.__table__)
# The columns FeedState carries, by name, so a later column does not break it.
_STATE_COLUMNS = [_FEEDS.c[field.name] for field in fields(FeedState)]


def _state(row: Row[Any]) -> FeedState:
    return FeedState(**row._asdict())


def _select_states() -> Select[Any]:
    return select(*_STATE_COLUMNS)


def _check_url(url: str) -> None:
    if len(url) > MAX_FEED_URL_LENGTH:
        raise ValueError(f"feed URL longer than {MAX_FEED_URL_LENGTH} characters: {url[:80]}...")


def _new_feed_values(spec: FeedSpec, source: str, now: datetime) -> dict[str, Any]:
    return {
        "url": spec.url,
        "name": spec.name,
        "source": source,
        # Feeds given to `monitor check --feed` are polled on demand only, never on a schedule.
        "active": source != "check",
        "interval_s": spec.interval_s,
        "next_check_at": now,  # due at once
        "consecutive_failures": 0,
        "created_at": now,
    }


def sync_config_feeds(session: Session, specs: Sequence[FeedSpec], *, now: datetime) -> None:
    """Make the config feeds match `specs`.

    Listed feeds are created (due now) or updated (name, interval; reactivated); config feeds no
    longer listed are deactivated, keeping their items. A feed the CLI or an OPML import added
    keeps its source and settings even when the config lists its URL too; one that only
    `monitor check` created is adopted by the config.
    """
    wanted = {spec.url: spec for spec in specs}
    for url in wanted:
        _check_url(url)
    feeds = _FEEDS.c
    existing = {
        row.url: row
        for row in session.execute(
            select(feeds.url, feeds.source, feeds.name, feeds.interval_s, feeds.active)
        )
    }
    unlisted = [
        url
        for url, row in existing.items()
        if row.source == "config" and row.active and url not in wanted
    ]
    for chunk in chunks(unlisted):
        _update(session, feeds.url.in_(chunk), active=False)
    for url, spec in wanted.items():
        row = existing.get(url)
        if row is None:
            session.execute(
                insert_ignoring_conflicts(session, Feed, ["url"]).values(
                    _new_feed_values(spec, "config", now)
                )
            )
        elif row.source in _ADOPTABLE_BY_CONFIG and (
            row.source,
            row.name,
            row.interval_s,
            row.active,
        ) != ("config", spec.name, spec.interval_s, True):
            _update(
                session,
                feeds.url == url,
                source="config",
                name=spec.name,
                interval_s=spec.interval_s,
                active=True,
            )


def add_feed(session: Session, spec: FeedSpec, *, source: str, now: datetime) -> FeedState:
    """Add a feed, due now; ValueError('feed already exists: URL') when the URL is taken."""
    if source not in FEED_SOURCES:
        raise ValueError(f"unknown feed source {source!r}; expected one of {FEED_SOURCES}")
    _check_url(spec.url)
    statement = (
        insert_ignoring_conflicts(session, Feed, ["url"])
        .values(_new_feed_values(spec, source, now))
        .returning(_FEEDS.c.id)
    )
    if session.execute(statement).scalar_one_or_none() is None:
        raise ValueError(f"feed already exists: {spec.url}")
    state = get_feed(session, spec.url)
    assert state is not None
    return state


def remove_feed(session: Session, url: str) -> bool:
    """Delete a feed and (by cascade) its items; False when there was no such feed."""
    return rowcount(session.execute(delete(_FEEDS).where(_FEEDS.c.url == url))) > 0


def get_feed(session: Session, url: str) -> FeedState | None:
    row = session.execute(_select_states().where(_FEEDS.c.url == url)).one_or_none()
    return None if row is None else _state(row)


def get_feed_by_id(session: Session, feed_id: int) -> FeedState | None:
    row = session.execute(_select_states().where(_FEEDS.c.id == feed_id)).one_or_none()
    return None if row is None else _state(row)


def list_feeds(session: Session, *, active_only: bool = False) -> list[FeedState]:
    """Feeds ordered by id (the order they were added)."""
    query = _select_states().order_by(_FEEDS.c.id)
    if active_only:
        query = query.where(_FEEDS.c.active)
    return [_state(row) for row in session.execute(query)]


def lease_due_feeds(
    session: Session, *, now: datetime, lease_until: datetime, limit: int | None = None
) -> list[FeedState]:
    """Active feeds due by `now` (most overdue first), with next_check_at moved to
    `lease_until` so another tick does not take them too; recording the poll's result sets
    the real next check. The returned states carry the schedule as it was before the lease.
    On PostgreSQL rows another transaction is leasing are skipped, not waited for."""
    query = (
        _select_states()
        .where(_FEEDS.c.active, _FEEDS.c.next_check_at <= now)
        .order_by(_FEEDS.c.next_check_at, _FEEDS.c.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    states = [_state(row) for row in session.execute(query)]
    for chunk in chunks([state.id for state in states]):
        _update(session, _FEEDS.c.id.in_(chunk), next_check_at=lease_until)
    return states


def record_feed_success(
    session: Session,
    feed_id: int,
    *,
    now: datetime,
    next_check_at: datetime,
    etag: str | None,
    last_modified: str | None,
    body_sha256: str | None,
    warning: str | None,
) -> None:
    """A poll that worked (200 or 304): store the validators exactly as given (pass the old
    ones to keep them), reset the failure count and clear the last error. A feed removed
    meanwhile is ignored."""
    _update(
        session,
        _FEEDS.c.id == feed_id,
        last_checked_at=now,
        last_success_at=now,
        next_check_at=next_check_at,
        etag=etag,
        last_modified=last_modified,
        body_sha256=body_sha256,
        warning=warning,
        consecutive_failures=0,
        last_error=None,
        last_error_code=None,
    )


def record_feed_failure(
    session: Session,
    feed_id: int,
    *,
    now: datetime,
    next_check_at: datetime,
    error_code: str,
    error: str,
) -> None:
    """A poll that failed: count it and keep the error. Validators and the last success stay.
    A feed removed meanwhile is ignored."""
    _update(
        session,
        _FEEDS.c.id == feed_id,
        last_checked_at=now,
        next_check_at=next_check_at,
        last_error_code=str(error_code),
        last_error=error,
        consecutive_failures=_FEEDS.c.consecutive_failures + 1,
    )


def count_feeds(session: Session, *, active_only: bool = False) -> int:
    query = select(func.count()).select_from(_FEEDS)
    if active_only:
        query = query.where(_FEEDS.c.active)
    return session.scalar(query) or 0


def _update(session: Session, where: ColumnElement[bool], **values: Any) -> None:
    session.execute(update(_FEEDS).where(where).values(**values))
