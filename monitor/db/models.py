"""SQLAlchemy ORM models of the schema; the Alembic migrations must match them. No I/O.

Rows of these classes never leave `monitor.db`: query functions return frozen dataclasses.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    false,
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
        # A feed's newest items, for its adaptive polling interval (monitor.db.publishing).
        Index(None, "feed_id", "first_seen_at"),
    )


STANCES = ("supports", "refutes", "reports", "unrelated")
CLAIM_STATUSES = ("open", "corroborated", "disputed", "denied")
CLAIM_EVENT_KINDS = ("status_changed", "new_supporting_source", "new_refuting_source")


class Entity(Base):
    """A tracked entity, as last synced from the config."""

    __tablename__ = "entities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(FeedText)
    kind: Mapped[str] = mapped_column(String(16))
    aliases: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Claim(Base):
    """A tracked claim; `text_sha256` versions its text, so evidence knows what it judged."""

    __tablename__ = "claims"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(FeedText)
    text_sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(FeedText)
    opened: Mapped[date | None] = mapped_column(Date)
    entities: Mapped[list[str]] = mapped_column(JSON)
    denies: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(server_default=true())
    status: Mapped[str] = mapped_column(String(16), server_default="open")
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint(_one_of("status", CLAIM_STATUSES), name="status"),)


class Mention(Base):
    """How often an article names an entity."""

    __tablename__ = "mentions"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[str] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    count: Mapped[int] = mapped_column(Integer)


class Evidence(Base):
    """What one article does with one claim, judged by one stance model version."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    stance: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    quote: Mapped[str] = mapped_column(FeedText)
    model_version: Mapped[str] = mapped_column(String(64))
    claim_text_sha256: Mapped[str] = mapped_column(String(64))
    backfill: Mapped[bool] = mapped_column(server_default=false())
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("claim_id", "article_id"),
        CheckConstraint(_one_of("stance", STANCES), name="stance"),
    )


class ClaimEventRow(Base):
    """A change worth telling users about: the claim's history and the digests' source."""

    __tablename__ = "claim_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    old_status: Mapped[str | None] = mapped_column(String(16))
    new_status: Mapped[str | None] = mapped_column(String(16))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id", ondelete="SET NULL"))
    alert_worthy: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint(_one_of("kind", CLAIM_EVENT_KINDS), name="kind"),)


OUTBOX_KINDS = ("evidence", "status", "feed_failing", "feed_recovered", "channel_disabled")
DELIVERY_STATUSES = ("pending", "sent", "dead")


class OutboxEvent(Base):
    """Something to tell users, written in the transaction that caused it; digests read these."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    claim_id: Mapped[str | None] = mapped_column(String(64))  # no FK: history outlives claims
    entity_ids: Mapped[list[str]] = mapped_column(JSON)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)  # a snapshot; never a secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint(_one_of("kind", OUTBOX_KINDS), name="kind"),)


class ChannelState(Base):
    """Per configured channel: how far into the outbox it has read, and its health."""

    __tablename__ = "channel_state"

    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[int] = mapped_column(Integer)  # the last outbox event id it has taken
    last_digest_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(FeedText)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(FeedText)


class Delivery(Base):
    """One digest for one channel; its id is the idempotency key sent with every attempt."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    digest: Mapped[dict[str, object]] = mapped_column(JSON)
    event_count: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(FeedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_one_of("status", DELIVERY_STATUSES), name="status"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "channel_id", "created_at"),
    )
