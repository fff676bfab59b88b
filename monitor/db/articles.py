"""Queries on articles and story clusters: store an article once, find its near-duplicates.

Does database I/O through the Session it is given; never commits (the caller owns the
transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from monitor.db.dialect_insert import insert_ignoring_conflicts
from monitor.db.hashing import sha256_hex
from monitor.db.models import TEXT_STATUSES, Article, StoryCluster
from monitor.db.records import NewArticle

__all__ = [
    "NewArticle",
    "cluster_publishers",
    "count_articles",
    "count_clusters",
    "find_article_id",
    "find_cluster_for",
    "hamming_distance",
    "insert_article",
    "to_signed64",
]

_ARTICLES = cast(Table, Article.__table__)
_CLUSTERS = cast(Table, StoryCluster.__table__)
_BANDS = (_ARTICLES.c.fp_band0, _ARTICLES.c.fp_band1, _ARTICLES.c.fp_band2, _ARTICLES.c.fp_band3)
_MASK64 = (1 << 64) - 1


def to_signed64(fingerprint: int) -> int:
    """A 64-bit fingerprint, signed or unsigned, as the signed value a BIGINT column holds."""
    if not -(1 << 63) <= fingerprint <= _MASK64:
        raise ValueError(f"fingerprint {fingerprint} does not fit in 64 bits")
    fingerprint &= _MASK64
    return fingerprint - (1 << 64) if fingerprint >= 1 << 63 else fingerprint


def hamming_distance(a: int, b: int) -> int:
    """Differing bits between two 64-bit fingerprints (signed or unsigned)."""
    return ((a ^ b) & _MASK64).bit_count()


def find_article_id(session: Session, url: str) -> int | None:
    """The article stored under this canonical URL, if any."""
    query = select(_ARTICLES.c.id).where(_ARTICLES.c.url_sha256 == sha256_hex(url))
    return session.scalar(query)


def find_cluster_for(
    session: Session,
    fingerprint: int,
    bands: tuple[int, int, int, int],
    *,
    max_distance: int,
    since: datetime,
) -> int | None:
    """The story cluster of the nearest article fetched since `since` that shares at least one
    band with `bands` (same position) and is within `max_distance` bits of `fingerprint`.

    Ties go to the older article. With four 16-bit bands every fingerprint within 3 bits
    shares a band, so for max_distance <= 3 the band lookup misses nothing.
    """
    query = select(_ARTICLES.c.id, _ARTICLES.c.fingerprint, _ARTICLES.c.cluster_id).where(
        _ARTICLES.c.fetched_at >= since,
        _ARTICLES.c.fingerprint.is_not(None),
        or_(*(column == band for column, band in zip(_BANDS, bands, strict=True))),
    )
    best: tuple[int, int, int] | None = None  # (distance, article id, cluster id)
    for article_id, other, cluster_id in session.execute(query):
        distance = hamming_distance(fingerprint, other)
        if distance <= max_distance and (best is None or (distance, article_id) < best[:2]):
            best = (distance, article_id, cluster_id)
    return None if best is None else best[2]


def insert_article(
    session: Session, article: NewArticle, *, cluster_id: int | None
) -> tuple[int, int]:
    """Store `article` in `cluster_id`, or in a new cluster when that is None.

    Returns (article_id, cluster_id). When the URL is already stored (earlier, or by a
    concurrent transaction) nothing is written and the stored article's ids come back. The
    fingerprint of a 'no_text' article is not stored, so it is never a near-duplicate.
    """
    if article.text_status not in TEXT_STATUSES:
        raise ValueError(f"unknown text status {article.text_status!r}")
    url_sha256 = sha256_hex(article.url)
    existing = _stored(session, url_sha256)
    if existing is not None:
        return existing
    new_cluster: int | None = None
    if cluster_id is None:
        new_cluster = cluster_id = session.execute(
            insert(_CLUSTERS)
            .values(created_at=article.fetched_at, updated_at=article.fetched_at)
            .returning(_CLUSTERS.c.id)
        ).scalar_one()
    # Empty text has no meaningful fingerprint; leaving it out keeps the band indexes lean.
    has_text = article.text_status == "ok"
    fingerprint = to_signed64(article.fingerprint) if has_text else None
    bands = article.bands if has_text else (None, None, None, None)
    statement = (
        insert_ignoring_conflicts(session, Article, ["url_sha256"])
        .values(
            url=article.url,
            url_sha256=url_sha256,
            title=article.title,
            author=article.author,
            publisher=article.publisher,
            site_name=article.site_name,
            language=article.language,
            published_at=article.published_at,
            fetched_at=article.fetched_at,
            text_status=article.text_status,
            text=article.text,
            content_sha256=article.content_sha256,
            fingerprint=fingerprint,
            fp_band0=bands[0],
            fp_band1=bands[1],
            fp_band2=bands[2],
            fp_band3=bands[3],
            cluster_id=cluster_id,
        )
        .returning(_ARTICLES.c.id)
    )
    article_id = session.execute(statement).scalar_one_or_none()
    if article_id is None:  # a concurrent transaction stored this URL first
        if new_cluster is not None:
            session.execute(delete(_CLUSTERS).where(_CLUSTERS.c.id == new_cluster))
        raced = _stored(session, url_sha256)
        assert raced is not None
        return raced
    if new_cluster is not None:
        session.execute(
            update(_CLUSTERS)
            .where(_CLUSTERS.c.id == new_cluster)
            .values(first_article_id=article_id)
        )
    else:
        session.execute(
            update(_CLUSTERS)
            .where(_CLUSTERS.c.id == cluster_id, _CLUSTERS.c.updated_at < article.fetched_at)
            .values(updated_at=article.fetched_at)
        )
    return article_id, cluster_id


def cluster_publishers(session: Session, cluster_id: int) -> list[str]:
    """The distinct publishers of a story cluster's articles, sorted by code point (the same on
    every database, whatever its collation)."""
    query = select(_ARTICLES.c.publisher).where(_ARTICLES.c.cluster_id == cluster_id).distinct()
    return sorted(session.scalars(query))


def count_articles(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_ARTICLES)) or 0


def count_clusters(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(_CLUSTERS)) or 0


def _stored(session: Session, url_sha256: str) -> tuple[int, int] | None:
    query = select(_ARTICLES.c.id, _ARTICLES.c.cluster_id).where(
        _ARTICLES.c.url_sha256 == url_sha256
    )
    row = session.execute(query).one_or_none()
    return None if row is None else (row.id, row.cluster_id)


def articles_with_text(session: Session, *, after_id: int, limit: int) -> list[tuple[int, str]]:
    """(id, text) of articles with text, by id, after `after_id`: for batched backfills."""
    query = (
        select(_ARTICLES.c.id, _ARTICLES.c.text)
        .where(_ARTICLES.c.id > after_id, _ARTICLES.c.text_status == "ok")
        .order_by(_ARTICLES.c.id)
        .limit(limit)
    )
    return [(row.id, row.text) for row in session.execute(query)]
