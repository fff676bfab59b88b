"""Read-only counts for /metrics: feeds, articles, evidence, deliveries. Database I/O through the
Session it is given; writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import Article, Delivery, Evidence, Feed


@dataclass(frozen=True)
class FeedCounts:
    total: int  # active feeds
    due: int  # active feeds whose next check is now or past (not leased)
    failing: int  # active feeds whose last poll failed
    oldest_due_at: datetime | None  # the most overdue feed's next_check_at


@dataclass(frozen=True)
class StoreCounts:
    feeds: FeedCounts
    articles: int
    evidence_by_stance: dict[str, int]
    deliveries_by_status: dict[str, int]


def feed_counts(session: Session, *, now: datetime) -> FeedCounts:
    active = Feed.active.is_(True)
    total, failing = session.execute(
        select(
            func.count(),
            func.count().filter(Feed.consecutive_failures > 0),
        ).where(active)
    ).one()
    due, oldest = session.execute(
        select(func.count(), func.min(Feed.next_check_at)).where(active, Feed.next_check_at <= now)
    ).one()
    return FeedCounts(total=total, due=due, failing=failing, oldest_due_at=oldest)


def store_counts(session: Session, *, now: datetime) -> StoreCounts:
    """Everything /metrics shows from the database, in a handful of aggregate queries."""
    articles = session.scalar(select(func.count()).select_from(Article)) or 0
    stances = session.execute(select(Evidence.stance, func.count()).group_by(Evidence.stance))
    statuses = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return StoreCounts(
        feeds=feed_counts(session, now=now),
        articles=articles,
        evidence_by_stance={str(row[0]): int(row[1]) for row in stances},
        deliveries_by_status={str(row[0]): int(row[1]) for row in statuses},
    )
