"""Queries on when a feed's items were published, for its adaptive polling interval.

Does database I/O through the Session it is given; never commits (the caller owns the
transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, case, select
from sqlalchemy.orm import Session

from monitor.db.models import Item

_ITEMS = cast(Table, Item.__table__)


def recent_publish_times(session: Session, feed_id: int, limit: int) -> list[datetime]:
    """The newest `limit` distinct times at which the feed's items appeared, newest first.

    An item's time is its published date when it has one no later than when this feed first
    saw it; otherwise (no date, or a date in the future) the time it was first seen.
    """
    items = _ITEMS.c
    appeared = case(
        (
            and_(items.published_at.is_not(None), items.published_at <= items.first_seen_at),
            items.published_at,
        ),
        else_=items.first_seen_at,
    ).label("appeared_at")
    query = (
        select(appeared)
        .where(items.feed_id == feed_id)
        .distinct()
        .order_by(appeared.desc())
        .limit(max(limit, 0))
    )
    return list(session.scalars(query))
