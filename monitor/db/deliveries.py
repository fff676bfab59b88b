"""Queries for deliveries: create, take one due with a lease, record the outcome, list. Database.

Taking a delivery is one short transaction: the row is picked with FOR UPDATE SKIP LOCKED on
PostgreSQL (on SQLite the transaction is exclusive), its attempt counted and a lease set, so two
workers never send the same delivery at once; a worker killed mid-send leaves a lease that runs
out, and the delivery is sent again with the same id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.orm import Session

from monitor.db.dialect_insert import rowcount
from monitor.db.models import Delivery
from monitor.db.records import DeliveryRecord

_DELIVERIES = cast(Table, Delivery.__table__)


def _record(row: Any) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        channel_id=row.channel_id,
        status=row.status,
        digest=row.digest,
        event_count=row.event_count,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        lease_until=row.lease_until,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def add_delivery(
    session: Session,
    delivery_id: str,
    channel_id: str,
    digest: Mapping[str, Any],
    *,
    event_count: int,
    now: datetime,
) -> None:
    session.execute(
        _DELIVERIES.insert().values(
            id=delivery_id,
            channel_id=channel_id,
            status="pending",
            digest=dict(digest),
            event_count=event_count,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )


def take_due(
    session: Session, channel_id: str, *, now: datetime, lease_until: datetime
) -> DeliveryRecord | None:
    """The channel's oldest due pending delivery, leased to the caller with its attempt counted."""
    due = and_(
        _DELIVERIES.c.channel_id == channel_id,
        _DELIVERIES.c.status == "pending",
        _DELIVERIES.c.next_attempt_at <= now,
        or_(_DELIVERIES.c.lease_until.is_(None), _DELIVERIES.c.lease_until <= now),
    )
    query = (
        select(_DELIVERIES.c.id)
        .where(due)
        .order_by(_DELIVERIES.c.created_at, _DELIVERIES.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    delivery_id = session.execute(query).scalar_one_or_none()
    if delivery_id is None:
        return None
    session.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == delivery_id)
        .values(attempts=_DELIVERIES.c.attempts + 1, lease_until=lease_until, updated_at=now)
    )
    return get_delivery(session, delivery_id)


def get_delivery(session: Session, delivery_id: str) -> DeliveryRecord | None:
    row = session.execute(select(_DELIVERIES).where(_DELIVERIES.c.id == delivery_id)).one_or_none()
    return None if row is None else _record(row)


def mark_sent(session: Session, delivery_id: str, *, now: datetime, note: str | None) -> None:
    session.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == delivery_id)
        .values(status="sent", sent_at=now, lease_until=None, last_error=note, updated_at=now)
    )


def mark_retry(
    session: Session, delivery_id: str, *, now: datetime, next_attempt_at: datetime, error: str
) -> None:
    session.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == delivery_id)
        .values(next_attempt_at=next_attempt_at, lease_until=None, last_error=error, updated_at=now)
    )


def mark_dead(session: Session, delivery_id: str, *, now: datetime, error: str) -> None:
    session.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == delivery_id)
        .values(status="dead", lease_until=None, last_error=error, updated_at=now)
    )


def make_channel_due(session: Session, channel_id: str, *, now: datetime) -> int:
    """Make every pending delivery of the channel due now (the channel works again)."""
    result = session.execute(
        update(_DELIVERIES)
        .where(
            _DELIVERIES.c.channel_id == channel_id,
            _DELIVERIES.c.status == "pending",
            _DELIVERIES.c.next_attempt_at > now,
        )
        .values(next_attempt_at=now, updated_at=now)
    )
    return rowcount(result)


def retry_by_hand(session: Session, delivery_id: str, *, now: datetime) -> bool:
    """Put a dead (or waiting) delivery back in line, due now, with a fresh attempt count."""
    result = session.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == delivery_id, _DELIVERIES.c.status != "sent")
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            lease_until=None,
            updated_at=now,
        )
    )
    return rowcount(result) > 0


def list_deliveries(
    session: Session,
    *,
    statuses: tuple[str, ...] = (),
    channel_id: str | None = None,
    limit: int = 50,
) -> list[DeliveryRecord]:
    query = select(_DELIVERIES).order_by(_DELIVERIES.c.created_at.desc(), _DELIVERIES.c.id.desc())
    if statuses:
        query = query.where(_DELIVERIES.c.status.in_(statuses))
    if channel_id is not None:
        query = query.where(_DELIVERIES.c.channel_id == channel_id)
    return [_record(row) for row in session.execute(query.limit(limit))]


def count_by_status(session: Session) -> dict[str, int]:
    query = select(_DELIVERIES.c.status, func.count()).group_by(_DELIVERIES.c.status)
    return {status: int(n) for status, n in session.execute(query)}
