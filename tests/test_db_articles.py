"""Article queries on SQLite and PostgreSQL: store once, clusters, near-duplicates, odd text."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db import NewArticle
from monitor.db.articles import (
    cluster_publishers,
    count_articles,
    count_clusters,
    find_article_id,
    find_cluster_for,
    insert_article,
)
from monitor.db.models import Article, StoryCluster

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FP = 0x0123_4567_89AB_CDEF


def bands_of(fingerprint: int) -> tuple[int, int, int, int]:
    value = fingerprint & (2**64 - 1)
    b0, b1, b2, b3 = ((value >> (16 * i)) & 0xFFFF for i in range(4))
    return b0, b1, b2, b3


def article(url: str, *, fingerprint: int = FP, **changes: object) -> NewArticle:
    base = NewArticle(
        url=url,
        title="Title",
        author="A. Writer",
        publisher="example.org",
        site_name="Example",
        language="en",
        published_at=NOW - timedelta(hours=1),
        fetched_at=NOW,
        text_status="ok",
        text="Some article text.",
        content_sha256="c" * 64,
        fingerprint=fingerprint,
        bands=bands_of(fingerprint),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_insert_article_creates_a_cluster_and_stores_every_field(session: Session) -> None:
    new = article("https://example.org/a")
    article_id, cluster_id = insert_article(session, new, cluster_id=None)
    assert find_article_id(session, new.url) == article_id
    row = session.execute(select(Article).where(Article.id == article_id)).scalar_one()
    stored = (row.url, row.title, row.author, row.publisher, row.site_name, row.language)
    assert stored == (new.url, "Title", "A. Writer", "example.org", "Example", "en")
    assert (row.published_at, row.fetched_at, row.text_status, row.text) == (
        new.published_at,
        NOW,
        "ok",
        "Some article text.",
    )
    assert (row.fingerprint, row.content_sha256, row.cluster_id) == (FP, "c" * 64, cluster_id)
    assert (row.fp_band0, row.fp_band1, row.fp_band2, row.fp_band3) == bands_of(FP)
    cluster = session.execute(select(StoryCluster)).scalar_one()
    assert (cluster.id, cluster.first_article_id, cluster.created_at) == (
        cluster_id,
        article_id,
        NOW,
    )


def test_the_same_url_is_stored_once(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        first = insert_article(session, article("https://example.org/a"), cluster_id=None)
    with session_factory.begin() as session:
        again = insert_article(
            session, article("https://example.org/a", title="other"), cluster_id=None
        )
    assert again == first
    with session_factory() as session:
        assert (count_articles(session), count_clusters(session)) == (1, 1)
        assert find_article_id(session, "https://example.org/b") is None


def test_a_racing_insert_of_the_same_url_returns_the_winner(
    session_factory: sessionmaker[Session],
) -> None:
    """The loser waits for the winner's commit (PostgreSQL: on the unique index; SQLite: at
    BEGIN IMMEDIATE), then returns the stored ids and leaves no orphan cluster."""
    url = "https://example.org/raced"
    started = threading.Event()
    result: dict[str, object] = {}

    def loser() -> None:
        started.set()
        try:
            with session_factory.begin() as session:
                result["ids"] = insert_article(session, article(url), cluster_id=None)
        except Exception as exc:
            result["error"] = exc

    with session_factory.begin() as session:
        winner = insert_article(session, article(url, title="winner"), cluster_id=None)
        thread = threading.Thread(target=loser)
        thread.start()
        assert started.wait(5)
        thread.join(0.3)  # cannot finish before the winner commits
        assert thread.is_alive(), result
    thread.join(10)
    assert result == {"ids": winner}
    with session_factory() as session:
        assert (count_articles(session), count_clusters(session)) == (1, 1)


def test_joining_a_cluster_updates_it_and_collects_publishers(session: Session) -> None:
    _, cluster_id = insert_article(session, article("https://a.example/1"), cluster_id=None)
    later = NOW + timedelta(hours=2)
    for url, publisher in [
        ("https://b.example/1", "b.example"),
        ("https://c.example/1", "Zeta News"),
        ("https://b.example/2", "b.example"),
    ]:
        joined = insert_article(
            session, article(url, publisher=publisher, fetched_at=later), cluster_id=cluster_id
        )
        assert joined[1] == cluster_id
    assert cluster_publishers(session, cluster_id) == ["Zeta News", "b.example", "example.org"]
    assert cluster_publishers(session, cluster_id + 1000) == []
    cluster = session.get(StoryCluster, cluster_id)
    assert cluster is not None and cluster.updated_at == later
    assert count_clusters(session) == 1


@pytest.mark.parametrize(
    ("flipped_bits", "max_distance", "found"),
    [
        ((), 3, True),  # identical
        ((0, 17, 40), 3, True),  # 3 bits apart; band 3 is still shared
        ((0, 17, 40), 2, False),  # ...but further than allowed
        ((0, 16, 32, 48), 3, False),  # every band differs: not a candidate
        (tuple(range(0, 64, 2)), 10, False),  # distant
    ],
)
def test_find_cluster_for(
    session: Session, flipped_bits: tuple[int, ...], max_distance: int, found: bool
) -> None:
    _, cluster_id = insert_article(session, article("https://example.org/a"), cluster_id=None)
    probe = FP
    for bit in flipped_bits:
        probe ^= 1 << bit
    result = find_cluster_for(
        session,
        probe,
        bands_of(probe),
        max_distance=max_distance,
        since=NOW - timedelta(days=1),
    )
    assert result == (cluster_id if found else None)


def test_find_cluster_for_prefers_the_nearest_and_ignores_old_articles(session: Session) -> None:
    near = FP ^ 0b1
    nearer = FP
    old = insert_article(
        session,
        article("https://example.org/old", fetched_at=NOW - timedelta(days=10)),
        cluster_id=None,
    )
    _, near_cluster = insert_article(
        session, article("https://example.org/near", fingerprint=near), cluster_id=None
    )
    _, nearer_cluster = insert_article(
        session, article("https://example.org/nearer", fingerprint=nearer), cluster_id=None
    )
    since = NOW - timedelta(days=1)
    assert find_cluster_for(session, FP, bands_of(FP), max_distance=3, since=since) == (
        nearer_cluster
    )
    assert near_cluster != nearer_cluster != old[1]
    everything = NOW - timedelta(days=30)
    # Ties on distance go to the older article.
    assert find_cluster_for(session, FP, bands_of(FP), max_distance=3, since=everything) == old[1]


def test_articles_without_text_keep_no_fingerprint(session: Session) -> None:
    empty = article("https://example.org/empty", text="", text_status="no_text", fingerprint=0)
    article_id, _ = insert_article(session, empty, cluster_id=None)
    row = session.execute(select(Article).where(Article.id == article_id)).scalar_one()
    assert (row.fingerprint, row.fp_band0, row.fp_band3, row.text) == (None, None, None, "")
    assert find_cluster_for(session, 0, (0, 0, 0, 0), max_distance=64, since=NOW) is None


@pytest.mark.parametrize("fingerprint", [2**64 - 1, 2**63, -(2**63), -1])
def test_unsigned_and_signed_fingerprints_fit_a_bigint(session: Session, fingerprint: int) -> None:
    insert_article(
        session, article("https://example.org/a", fingerprint=fingerprint), cluster_id=None
    )
    found = find_cluster_for(session, fingerprint, bands_of(fingerprint), max_distance=0, since=NOW)
    assert found is not None
    stored = session.execute(select(Article.fingerprint)).scalar_one()
    assert stored is not None
    assert -(2**63) <= stored < 2**63
    assert stored & (2**64 - 1) == fingerprint & (2**64 - 1)


def test_very_long_urls_are_unique_by_hash(session: Session) -> None:
    # Longer than a PostgreSQL btree entry may be (about 2700 bytes).
    long_url = "https://example.org/?q=" + "é" * 20_000
    first = insert_article(session, article(long_url), cluster_id=None)
    assert find_article_id(session, long_url) == first[0]
    assert insert_article(session, article(long_url), cluster_id=None) == first
    assert find_article_id(session, long_url[:-1]) is None


def test_nul_and_lone_surrogates_are_made_storable(session: Session) -> None:
    text = "before\x00after \ud800 end"
    article_id, _ = insert_article(
        session, article("https://example.org/nul", text=text, title="t\x00"), cluster_id=None
    )
    row = session.execute(select(Article.text, Article.title).where(Article.id == article_id))
    assert tuple(row.one()) == ("beforeafter \ufffd end", "t")


storable_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    max_size=200,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(title=storable_text, text=storable_text, author=storable_text)
def test_any_nul_free_unicode_round_trips(
    session_factory: sessionmaker[Session], title: str, text: str, author: str
) -> None:
    url = "https://example.org/" + str(abs(hash((title, text, author))))
    with session_factory() as session:
        article_id, _ = insert_article(
            session,
            article(url, title=title, text=text, author=author, publisher=title),
            cluster_id=None,
        )
        session.flush()
        session.expire_all()
        row = session.execute(
            select(Article.title, Article.text, Article.author, Article.publisher).where(
                Article.id == article_id
            )
        ).one()
        session.rollback()
    assert tuple(row) == (title, text, author, title)
