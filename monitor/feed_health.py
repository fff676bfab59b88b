"""Feed-health events for the digests: a feed starts failing, or works again. Database.

Called inside the transaction that records the poll, so the event and the feed's new failure
count are stored together. A feed is "failing" from its `threshold`-th consecutive failure on
(one event, not one per failure), and "recovered" at its first success after that.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from monitor.db import outbox
from monitor.db.records import FeedState
from monitor.digest import build as digest_build
from monitor.urls import redact_url


def note_failure(
    session: Session, feed: FeedState, error: str, *, threshold: int, now: datetime
) -> None:
    failures = feed.consecutive_failures + 1
    if failures == threshold:
        payload = digest_build.feed_payload(redact_url(feed.url), feed.name, error, failures)
        outbox.add_event(session, digest_build.FEED_FAILING, payload, now=now)


def note_success(session: Session, feed: FeedState, *, threshold: int, now: datetime) -> None:
    if feed.consecutive_failures >= threshold:
        payload = digest_build.feed_payload(
            redact_url(feed.url), feed.name, None, feed.consecutive_failures
        )
        outbox.add_event(session, digest_build.FEED_RECOVERED, payload, now=now)
