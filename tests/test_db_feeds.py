"""Feed queries on SQLite and PostgreSQL: config sync, add/remove, poll results, leasing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from monitor.db import FeedState
from monitor.db.feeds import (
    add_feed,
    count_feeds,
    get_feed,
    get_feed_by_id,
    lease_due_feeds,
    list_feeds,
    record_feed_failure,
    record_feed_success,
    remove_feed,
    sync_config_feeds,
)
from monitor.db.items import count_items, insert_item
from monitor.domain import FeedSpec, FetchErrorCode

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
A, B, C = (f"https://example.org/{name}.xml" for name in "abc")


def _by_url(session: Session) -> dict[str, FeedState]:
    return {feed.url: feed for feed in list_feeds(session)}


def test_sync_creates_config_feeds_due_now(session: Session) -> None:
    sync_config_feeds(session, [FeedSpec(A, "A", 600), FeedSpec(B)], now=NOW)
    feeds = _by_url(session)
    assert set(feeds) == {A, B}
    assert feeds[A].name == "A" and feeds[A].interval_s == 600
    assert feeds[B].name is None and feeds[B].interval_s is None
    for feed in feeds.values():
        assert (feed.source, feed.active, feed.next_check_at, feed.created_at) == (
            "config",
            True,
            NOW,
            NOW,
        )
        assert feed.consecutive_failures == 0


def test_sync_updates_deactivates_and_reactivates(session: Session) -> None:
    sync_config_feeds(session, [FeedSpec(A, "A"), FeedSpec(B, "B")], now=NOW)
    later = NOW + timedelta(hours=1)
    sync_config_feeds(session, [FeedSpec(A, "renamed", 900)], now=later)
    feeds = _by_url(session)
    assert (feeds[A].name, feeds[A].interval_s, feeds[A].active) == ("renamed", 900, True)
    assert feeds[A].created_at == NOW  # updated, not recreated
    assert feeds[B].active is False  # no longer listed: kept, but not polled
    sync_config_feeds(session, [FeedSpec(B, "B")], now=later)
    feeds = _by_url(session)
    assert feeds[B].active is True and feeds[A].active is False
    assert [f.url for f in list_feeds(session, active_only=True)] == [B]


def test_sync_never_touches_cli_or_opml_feeds(session: Session) -> None:
    add_feed(session, FeedSpec(A, "mine", 300), source="cli", now=NOW)
    add_feed(session, FeedSpec(B, "imported"), source="opml", now=NOW)
    sync_config_feeds(session, [FeedSpec(A, "from config", 1200)], now=NOW)
    sync_config_feeds(session, [], now=NOW)
    feeds = _by_url(session)
    assert (feeds[A].source, feeds[A].name, feeds[A].interval_s, feeds[A].active) == (
        "cli",
        "mine",
        300,
        True,
    )
    assert (feeds[B].source, feeds[B].active) == ("opml", True)


def test_sync_adopts_a_feed_that_only_monitor_check_created(session: Session) -> None:
    add_feed(session, FeedSpec(A), source="check", now=NOW)
    sync_config_feeds(session, [FeedSpec(A, "A")], now=NOW)
    assert get_feed(session, A) is not None
    assert get_feed(session, A).source == "config"  # type: ignore[union-attr]


def test_sync_is_visible_to_another_session_after_commit(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        sync_config_feeds(session, [FeedSpec(A)], now=NOW)
    with session_factory() as session:
        assert count_feeds(session) == 1


def test_functions_never_commit(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        feed = add_feed(session, FeedSpec(A), source="cli", now=NOW)
        sync_config_feeds(session, [FeedSpec(B)], now=NOW)
        record_feed_failure(
            session, feed.id, now=NOW, next_check_at=NOW, error_code="dns", error="x"
        )
        session.rollback()
    with session_factory() as session:
        assert count_feeds(session) == 0


def test_add_feed_twice_is_a_value_error(session: Session) -> None:
    state = add_feed(session, FeedSpec(A, "A", 60), source="cli", now=NOW)
    assert (state.url, state.name, state.interval_s, state.source) == (A, "A", 60, "cli")
    with pytest.raises(ValueError, match=f"feed already exists: {A}"):
        add_feed(session, FeedSpec(A), source="opml", now=NOW)
    # The failed add left the transaction usable and the feed unchanged.
    assert get_feed(session, A) == state


@pytest.mark.parametrize("source", ["", "web", "CONFIG"])
def test_add_feed_rejects_unknown_sources(session: Session, source: str) -> None:
    with pytest.raises(ValueError, match="unknown feed source"):
        add_feed(session, FeedSpec(A), source=source, now=NOW)


def test_feed_urls_up_to_2048_characters(session: Session) -> None:
    longest = "https://example.org/" + "a" * (2048 - len("https://example.org/"))
    assert add_feed(session, FeedSpec(longest), source="cli", now=NOW).url == longest
    with pytest.raises(ValueError, match="longer than 2048"):
        add_feed(session, FeedSpec(longest + "b"), source="cli", now=NOW)


def test_remove_feed_cascades_to_its_items(session: Session) -> None:
    a = add_feed(session, FeedSpec(A), source="cli", now=NOW)
    b = add_feed(session, FeedSpec(B), source="cli", now=NOW)
    for feed_id in (a.id, a.id, b.id):
        insert_item(
            session,
            feed_id,
            key=f"k{count_items(session)}",
            guid=None,
            link=None,
            title="t",
            published_at=None,
            now=NOW,
            outcome="skipped",
            error=None,
            article_id=None,
        )
    assert remove_feed(session, A) is True
    assert remove_feed(session, A) is False
    assert get_feed(session, A) is None
    assert count_items(session, a.id) == 0
    assert count_items(session) == 1


def test_record_success_then_failure(session: Session) -> None:
    feed = add_feed(session, FeedSpec(A), source="cli", now=NOW)
    t1, t2, t3 = (NOW + timedelta(minutes=m) for m in (1, 2, 3))
    for _ in range(2):
        record_feed_failure(
            session,
            feed.id,
            now=t1,
            next_check_at=t2,
            error_code=FetchErrorCode.TIMEOUT,
            error="read timed out",
        )
    failed = get_feed_by_id(session, feed.id)
    assert failed is not None
    assert (failed.consecutive_failures, failed.last_error_code, failed.last_error) == (
        2,
        "timeout",
        "read timed out",
    )
    assert (failed.last_checked_at, failed.next_check_at, failed.last_success_at) == (t1, t2, None)

    record_feed_success(
        session,
        feed.id,
        now=t2,
        next_check_at=t3,
        etag='W/"abc"',
        last_modified="Sun, 01 Mar 2026 12:00:00 GMT",
        body_sha256="0" * 64,
        warning="not well-formed",
    )
    ok = get_feed(session, A)
    assert ok is not None
    assert (ok.consecutive_failures, ok.last_error, ok.last_error_code) == (0, None, None)
    assert (ok.last_checked_at, ok.last_success_at, ok.next_check_at) == (t2, t2, t3)
    assert (ok.etag, ok.last_modified, ok.body_sha256, ok.warning) == (
        'W/"abc"',
        "Sun, 01 Mar 2026 12:00:00 GMT",
        "0" * 64,
        "not well-formed",
    )

    record_feed_failure(
        session, feed.id, now=t3, next_check_at=t3, error_code="dns", error="no such host"
    )
    again = get_feed(session, A)
    assert again is not None
    # A failure keeps the validators and the last success.
    assert (again.etag, again.last_success_at, again.consecutive_failures) == ('W/"abc"', t2, 1)


def test_recording_on_a_removed_feed_is_a_no_op(session: Session) -> None:
    feed = add_feed(session, FeedSpec(A), source="cli", now=NOW)
    remove_feed(session, A)
    record_feed_failure(session, feed.id, now=NOW, next_check_at=NOW, error_code="dns", error="")
    assert count_feeds(session) == 0


def test_datetimes_round_trip_as_aware_utc(session_factory: sessionmaker[Session]) -> None:
    eastern = timezone(timedelta(hours=-5))
    local = datetime(2026, 3, 1, 7, 30, 15, 123456, tzinfo=eastern)
    with session_factory.begin() as session:
        add_feed(session, FeedSpec(A), source="cli", now=local)
    with session_factory() as session:
        feed = get_feed(session, A)
    assert feed is not None
    assert feed.created_at == local
    assert feed.created_at.utcoffset() == timedelta(0)
    assert feed.created_at == datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def test_naive_datetimes_are_refused(session: Session) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        add_feed(session, FeedSpec(A), source="cli", now=datetime(2026, 3, 1))


def test_lease_due_feeds(session: Session) -> None:
    sync_config_feeds(session, [FeedSpec(A), FeedSpec(B), FeedSpec(C)], now=NOW)
    feeds = _by_url(session)
    record_feed_success(
        session,
        feeds[B].id,
        now=NOW,
        next_check_at=NOW + timedelta(hours=1),
        etag=None,
        last_modified=None,
        body_sha256=None,
        warning=None,
    )
    record_feed_failure(
        session,
        feeds[C].id,
        now=NOW,
        next_check_at=NOW - timedelta(minutes=5),  # most overdue
        error_code="dns",
        error="",
    )
    sync_config_feeds(session, [FeedSpec(B), FeedSpec(C)], now=NOW)  # A inactive
    later = NOW + timedelta(minutes=1)
    lease_until = later + timedelta(minutes=10)
    leased = lease_due_feeds(session, now=later, lease_until=lease_until)
    assert [f.url for f in leased] == [C]  # B is not due, A is inactive
    assert leased[0].next_check_at == NOW - timedelta(minutes=5)  # the state before the lease
    assert get_feed(session, C).next_check_at == lease_until  # type: ignore[union-attr]
    assert lease_due_feeds(session, now=later, lease_until=lease_until) == []  # leased
    sync_config_feeds(session, [FeedSpec(A), FeedSpec(B), FeedSpec(C)], now=NOW)  # A back
    assert [f.url for f in lease_due_feeds(session, now=later, lease_until=later)] == [A]


def test_lease_due_feeds_honours_the_limit_most_overdue_first(session: Session) -> None:
    for minutes, url in ((3, A), (1, B), (2, C)):
        add_feed(session, FeedSpec(url), source="cli", now=NOW + timedelta(minutes=minutes))
    later = NOW + timedelta(hours=1)
    leased = lease_due_feeds(session, now=later, lease_until=later, limit=2)
    assert [f.url for f in leased] == [B, C]
