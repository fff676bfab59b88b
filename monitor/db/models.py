"""SQLAlchemy ORM models of the schema; the Alembic migrations must match them. No I/O.

Rows of these classes never leave `monitor.db`: query functions return frozen dataclasses.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from monitor.db.types import FeedText, UTCDateTime

# Deterministic constraint and index names, so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

FEED_SOURCES = ("config", "cli", "opml", "check")
TEXT_STATUSES = ("ok", "no_text")
ITEM_OUTCOMES = ("stored", "no_text", "skipped", "error")
MAX_FEED_URL_LENGTH = 2048


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(MAX_FEED_URL_LENGTH), unique=True)
    name: Mapped[str | None] = mapped_column(FeedText)
    source: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(server_default=true())
    interval_s: Mapped[int | None] = mapped_column(Integer)  # None: the [polling] default
    etag: Mapped[str | None] = mapped_column(FeedText)
    last_modified: Mapped[str | None] = mapped_column(FeedText)
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(FeedText)
    last_error_code: Mapped[str | None] = mapped_column(String(32))
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    warning: Mapped[str | None] = mapped_column(FeedText)  # last parser (bozo) warning
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_one_of("source", FEED_SOURCES), name="source"),
        Index(None, "active", "next_check_at"),
    )


class StoryCluster(Base):
    """Articles telling the same story (same canonical URL or near-duplicate text)."""

    __tablename__ = "story_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # No foreign key: articles already reference clusters, and a cycle complicates DDL.
    first_article_id: Mapped[int | None] = mapped_column(Integer)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(FeedText)  # canonical; unbounded, so unique by its hash
    url_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(FeedText)
    author: Mapped[str | None] = mapped_column(FeedText)
    publisher: Mapped[str] = mapped_column(FeedText)
    site_name: Mapped[str | None] = mapped_column(FeedText)
    language: Mapped[str | None] = mapped_column(FeedText)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text_status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(FeedText)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[int | None] = mapped_column(BigInteger)  # signed 64-bit SimHash
    fp_band0: Mapped[int | None] = mapped_column(Integer, index=True)
    fp_band1: Mapped[int | None] = mapped_column(Integer, index=True)
    fp_band2: Mapped[int | None] = mapped_column(Integer, index=True)
    fp_band3: Mapped[int | None] = mapped_column(Integer, index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("story_clusters.id"), index=True)

    __table_args__ = (CheckConstraint(_one_of("text_status", TEXT_STATUSES), name="text_status"),)


class Item(Base):
    """One feed entry, seen once per feed: the record that makes re-polls idempotent."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    key_sha256: Mapped[str] = mapped_column(String(64))
    guid: Mapped[str | None] = mapped_column(FeedText)
    link: Mapped[str | None] = mapped_column(FeedText)
    title: Mapped[str | None] = mapped_column(FeedText)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(FeedText)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        UniqueConstraint("feed_id", "key_sha256"),
        CheckConstraint(_one_of("outcome", ITEM_OUTCOMES), name="outcome"),
    )
