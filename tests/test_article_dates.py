"""A feed's date for an article, as displays and orderings use it (RELIABILITY 10 and 11)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.board.views import EvidenceEntry, newest_first
from monitor.db.records import EvidenceRecord
from monitor.domain import believable_published

SEEN = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "believed"),
    [
        (None, None),
        (datetime(2026, 12, 5, 9, 0, tzinfo=UTC), True),
        (datetime(1970, 1, 1, tzinfo=UTC), True),  # old, but a date
        (datetime(2026, 12, 6, 11, 0), True),  # naive (UTC), 23 hours ahead: a clock or zone
        (datetime(2026, 12, 6, 13, 0, tzinfo=UTC), False),  # more than a day ahead
        (datetime(2099, 1, 1, tzinfo=UTC), False),
    ],
)
def test_a_published_date_is_believed_up_to_a_day_after_first_sight(
    published: datetime | None, believed: bool | None
) -> None:
    expected = published if believed else None
    assert believable_published(published, SEEN) == expected


def _record(record_id: int, published: datetime | None, fetched: datetime) -> EvidenceRecord:
    return EvidenceRecord(
        id=record_id, claim_id="c", article_id=record_id, stance="supports", confidence=0.9,
        quote="q", model_version="m", backfill=False, judged_at=fetched, url=f"https://x/{record_id}",
        title=None, publisher="x", cluster_id=record_id, published_at=published, fetched_at=fetched,
    )  # fmt: skip


def test_the_claim_page_orders_and_charts_a_future_dated_article_by_first_sight() -> None:
    future = EvidenceEntry(_record(1, datetime(2099, 1, 1, tzinfo=UTC), SEEN), "supports", None)
    later = datetime(2026, 12, 7, tzinfo=UTC)
    newer = EvidenceEntry(_record(2, later, later), "refutes", None)
    assert future.when == SEEN and future.day.isoformat() == "2026-12-05"
    assert [e.record.id for e in newest_first([future, newer])] == [2, 1]
