"""Queries on the items table: which feed entries were seen, and what became of them.

Does database I/O through the Session it is given; never commits (the caller owns the
transaction).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from monitor.db.chunking import chunks
from monitor.db.dialect_insert import insert_ignoring_conflicts
from monitor.db.hashing import sha256_hex
from monitor.db.models import ITEM_OUTCOMES, Item

_ITEMS = cast(Table, Item.__table__)


def known_item_keys(session: Session, feed_id: int, keys: Collection[str]) -> set[str]:
    """The subset of `keys` (FeedEntry.key strings) already stored for this feed."""
    by_hash: dict[str, str] = {sha256_hex(key): key for key in keys}
    found: set[str] = set()
    for chunk in chunks(list(by_hash)):
        query = select(_ITEMS.c.key_sha256).where(
            _ITEMS.c.feed_id == feed_id, _ITEMS.c.key_sha256.in_(chunk)
        )
        found.update(by_hash[digest] for digest in session.scalars(query))
    return found


def insert_item(
    session: Session,
    feed_id: int,
    *,
    key: str,
    guid: str | None,
    link: str | None,
    title: str | None,
    published_at: datetime | None,
    now: datetime,
    outcome: str,
    error: str | None,
    article_id: int | None,
) -> bool:
    """Record a feed entry as seen; False (and no change) when the feed already has this key.

    Safe against a concurrent insert of the same entry (INSERT ... ON CONFLICT DO NOTHING).
    """
    if outcome not in ITEM_OUTCOMES:
        raise ValueError(f"unknown item outcome {outcome!r}; expected one of {ITEM_OUTCOMES}")
    statement = insert_ignoring_conflicts(session, Item, ["feed_id", "key_sha256"]).values(
        feed_id=feed_id,
        key_sha256=sha256_hex(key),
        guid=guid,
        link=link,
        title=title,
        published_at=published_at,
        first_seen_at=now,
        outcome=str(outcome),
        error=error,
        article_id=article_id,
    )
    return session.execute(statement.returning(_ITEMS.c.id)).scalar_one_or_none() is not None


def count_items(session: Session, feed_id: int | None = None) -> int:
    """Items of one feed, or of all feeds."""
    query = select(func.count()).select_from(_ITEMS)
    if feed_id is not None:
        query = query.where(_ITEMS.c.feed_id == feed_id)
    return session.scalar(query) or 0
