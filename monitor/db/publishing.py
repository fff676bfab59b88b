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
RECENT_ITEMS_MARGIN = 10


def recent_publish_times(session: Session, feed_id: int, limit: int) -> list[datetime]:
    """The newest `limit` distinct times at which the feed's items appeared, newest first.

    An item's time is its published date when it has one no later than when this feed first
    saw it; otherwise (no date, or a date in the future) the time it was first seen.
    """
    # The newest items by first sighting come off the (feed_id, first_seen_at) index; an item
    # published long before it was first seen is rare, so a margin of 10x is plenty.
    newest = (
        select(_ITEMS.c.published_at, _ITEMS.c.first_seen_at)
        .where(_ITEMS.c.feed_id == feed_id)
        .order_by(_ITEMS.c.first_seen_at.desc())
        .limit(max(limit, 0) * RECENT_ITEMS_MARGIN)
        .subquery()
    )
    appeared = case(
        (
            and_(
                newest.c.published_at.is_not(None), newest.c.published_at <= newest.c.first_seen_at
            ),
            newest.c.published_at,
        ),
        else_=newest.c.first_seen_at,
    ).label("appeared_at")
    query = select(appeared).distinct().order_by(appeared.desc()).limit(max(limit, 0))
    return list(session.scalars(query))
