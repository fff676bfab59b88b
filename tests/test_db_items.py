"""Item queries on SQLite and PostgreSQL: idempotent inserts, known-key lookups, foreign keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor.db import NewArticle
from monitor.db.articles import count_articles, insert_article
from monitor.db.feeds import add_feed
from monitor.db.items import count_items, insert_item, known_item_keys
from monitor.db.models import Article, Item
from monitor.domain import FeedSpec, ItemOutcome

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _feed(session: Session, url: str = "https://example.org/feed.xml") -> int:
    return add_feed(session, FeedSpec(url), source="cli", now=NOW).id


def _insert(session: Session, feed_id: int, key: str, **overrides: object) -> bool:
    values: dict[str, object] = {
        "guid": key,
        "link": f"https://example.org/{key}",
        "title": f"title {key}",
        "published_at": None,
        "now": NOW,
        "outcome": ItemOutcome.SKIPPED,
        "error": None,
        "article_id": None,
    }
    values.update(overrides)
    return insert_item(session, feed_id, key=key, **values)  # type: ignore[arg-type]


def test_insert_item_is_idempotent_per_feed(session: Session) -> None:
    feed_a, feed_b = _feed(session), _feed(session, "https://example.org/other.xml")
    assert _insert(session, feed_a, "guid-1") is True
    assert _insert(session, feed_a, "guid-1", title="changed", outcome="error") is False
    assert _insert(session, feed_b, "guid-1") is True  # the same key in another feed is new
    assert count_items(session, feed_a) == 1
    assert count_items(session) == 2
    stored = session.execute(select(Item.title, Item.outcome).where(Item.feed_id == feed_a)).one()
    assert tuple(stored) == ("title guid-1", "skipped")  # the first insert won


def test_insert_item_is_idempotent_across_transactions(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        feed_id = _feed(session)
        assert _insert(session, feed_id, "k") is True
    with session_factory.begin() as session:
        assert _insert(session, feed_id, "k") is False
    with session_factory() as session:
        assert count_items(session) == 1


def test_insert_item_stores_every_field(session: Session) -> None:
    feed_id = _feed(session)
    published = datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    _insert(
        session,
        feed_id,
        "k",
        guid=None,
        link=None,
        title="Ünïcødé — 日本語 🚀",
        published_at=published,
        outcome=ItemOutcome.ERROR,
        error="timeout: read timed out",
    )
    row = session.execute(select(Item)).scalar_one()
    assert (row.guid, row.link, row.title) == (None, None, "Ünïcødé — 日本語 🚀")
    assert (row.published_at, row.first_seen_at) == (published, NOW)
    assert (row.outcome, row.error, row.article_id) == ("error", "timeout: read timed out", None)
    assert len(row.key_sha256) == 64


@pytest.mark.parametrize("outcome", ["", "ok", "STORED"])
def test_insert_item_rejects_unknown_outcomes(session: Session, outcome: str) -> None:
    with pytest.raises(ValueError, match="unknown item outcome"):
        _insert(session, _feed(session), "k", outcome=outcome)


def test_known_item_keys_with_5000_keys(session: Session) -> None:
    feed_id = _feed(session)
    other_feed = _feed(session, "https://example.org/other.xml")
    keys = [f"https://example.org/story/{n}?id={n}" for n in range(5000)]
    stored = set(keys[::3])
    for key in stored:
        _insert(session, feed_id, key)
    _insert(session, other_feed, keys[1])  # known to another feed only
    assert known_item_keys(session, feed_id, keys) == stored
    assert known_item_keys(session, feed_id, []) == set()
    assert known_item_keys(session, other_feed, keys[:3]) == {keys[1]}


def test_long_and_odd_keys(session: Session) -> None:
    feed_id = _feed(session)
    keys = ["x" * 100_000, "guid|https://example.org/a|3", "\u00e9", "e\u0301", " "]
    for key in keys:
        assert _insert(session, feed_id, key) is True
    # Keys are compared exactly: no Unicode normalisation, no trimming.
    assert known_item_keys(session, feed_id, [*keys, "e", ""]) == set(keys)


def test_an_item_needs_an_existing_feed(session: Session) -> None:
    with pytest.raises(IntegrityError):
        _insert(session, 999_999, "k")


def test_deleting_an_article_unlinks_its_items(session: Session) -> None:
    feed_id = _feed(session)
    article_id, _ = insert_article(
        session,
        NewArticle(
            url="https://example.org/a",
            title=None,
            author=None,
            publisher="example.org",
            site_name=None,
            language=None,
            published_at=None,
            fetched_at=NOW,
            text_status="no_text",
            text="",
            content_sha256=None,
            fingerprint=0,
            bands=(0, 0, 0, 0),
        ),
        cluster_id=None,
    )
    _insert(session, feed_id, "k", outcome="stored", article_id=article_id)
    assert session.execute(select(Item.article_id)).scalar_one() == article_id
    session.execute(delete(Article).where(Article.id == article_id))
    assert count_articles(session) == 0
    assert session.execute(select(Item.article_id)).scalar_one() is None  # ON DELETE SET NULL
    assert count_items(session) == 1
