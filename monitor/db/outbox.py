"""Queries for the outbox: events, and each channel's cursor and health. Database.

Functions take a Session and never commit: an event is written in the transaction that caused
it, and a digest is cut (delivery row plus cursor move) in one transaction, so an event is put
into exactly one delivery per channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from monitor.db.dialect_insert import rowcount
from monitor.db.models import ChannelState, OutboxEvent
from monitor.db.records import ChannelStateRecord
from monitor.digest.build import PendingEvent

_EVENTS = cast(Table, OutboxEvent.__table__)
_STATE = cast(Table, ChannelState.__table__)

# PostgreSQL hands out event ids when rows are inserted, not when they commit, so a lower id can
# commit after a higher one; a cursor moved past it meanwhile would skip that event for good.
# Transactions that add events hold this advisory lock shared until they end; cutting a digest
# needs it exclusively, and skips its turn rather than wait (so it is in no lock cycle).
_EVENT_WRITERS_LOCK = 0x6F7574626F78


def share_event_writers_lock(session: Session) -> None:
    """Before adding events (PostgreSQL; SQLite has one writer): add_event calls it; call it
    yourself first when the transaction also locks channel rows (order: this lock, then rows)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock_shared(_EVENT_WRITERS_LOCK)))


def lock_out_event_writers(session: Session) -> bool:
    """Before reading events to move a cursor past them: True when no transaction adding events
    is open (and none can start until this one ends); False: try again later. PostgreSQL only;
    always True on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    query = select(func.pg_try_advisory_xact_lock(_EVENT_WRITERS_LOCK))
    return bool(session.execute(query).scalar_one())


def add_event(
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
    claim_id: str | None = None,
    entity_ids: Sequence[str] = (),
) -> int:
    share_event_writers_lock(session)
    statement = (
        _EVENTS.insert()
        .values(
            kind=kind,
            claim_id=claim_id,
            entity_ids=list(entity_ids),
            payload=dict(payload),
            created_at=now,
        )
        .returning(_EVENTS.c.id)
    )
    return int(session.execute(statement).scalar_one())


def last_event_id(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(_EVENTS.c.id), 0))).scalar_one())


def events_after(
    session: Session, after_id: int, *, limit: int | None = None
) -> list[PendingEvent]:
    query = select(_EVENTS).where(_EVENTS.c.id > after_id).order_by(_EVENTS.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [
        PendingEvent(
            id=row.id,
            kind=row.kind,
            claim_id=row.claim_id,
            entity_ids=tuple(row.entity_ids or ()),
            payload=row.payload,
            created_at=row.created_at,
        )
        for row in session.execute(query)
    ]


def _state(row: Any) -> ChannelStateRecord:
    return ChannelStateRecord(
        channel_id=row.channel_id,
        cursor=row.cursor,
        last_digest_at=row.last_digest_at,
        created_at=row.created_at,
        failing_since=row.failing_since,
        last_error=row.last_error,
        disabled_at=row.disabled_at,
        disabled_reason=row.disabled_reason,
    )


def channel_states(session: Session) -> dict[str, ChannelStateRecord]:
    return {row.channel_id: _state(row) for row in session.execute(select(_STATE))}


def lock_channel(session: Session, channel_id: str, *, now: datetime) -> ChannelStateRecord:
    """The channel's state, created on first use at the outbox's end (a new channel does not
    receive history), and locked for this transaction on PostgreSQL (SQLite transactions are
    already exclusive: they BEGIN IMMEDIATE)."""
    query = select(_STATE).where(_STATE.c.channel_id == channel_id).with_for_update()
    row = session.execute(query).one_or_none()
    if row is None:
        session.execute(
            _STATE.insert().values(
                channel_id=channel_id,
                cursor=last_event_id(session),
                last_digest_at=now,
                created_at=now,
            )
        )
        row = session.execute(query).one()
    return _state(row)


def advance_cursor(
    session: Session, channel_id: str, cursor: int, *, digest_at: datetime | None
) -> None:
    values: dict[str, Any] = {"cursor": cursor}
    if digest_at is not None:
        values["last_digest_at"] = digest_at
    session.execute(update(_STATE).where(_STATE.c.channel_id == channel_id).values(**values))


def set_channel_health(
    session: Session, channel_id: str, *, failing_since: datetime | None, last_error: str | None
) -> None:
    session.execute(
        update(_STATE)
        .where(_STATE.c.channel_id == channel_id)
        .values(failing_since=failing_since, last_error=last_error)
    )


def set_channel_disabled(
    session: Session, channel_id: str, *, at: datetime | None, reason: str | None
) -> bool:
    """Disable (or, with at=None, enable) a channel; False when it has no state yet."""
    result = session.execute(
        update(_STATE)
        .where(_STATE.c.channel_id == channel_id)
        .values(disabled_at=at, disabled_reason=reason)
    )
    return rowcount(result) > 0
