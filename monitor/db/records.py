"""Frozen dataclasses that cross the `monitor.db` boundary; no I/O and no SQLAlchemy import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed row: what it is, and where its polling schedule stands. Datetimes are aware UTC."""

    id: int
    url: str
    name: str | None
    source: str  # 'config' | 'cli' | 'opml' | 'check'
    active: bool
    interval_s: int | None  # None: the [polling] default
    etag: str | None
    last_modified: str | None
    body_sha256: str | None  # of the last body parsed, to skip byte-identical responses
    next_check_at: datetime
    last_checked_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_code: str | None
    consecutive_failures: int
    warning: str | None  # the last parser (bozo) warning
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article to store. `fingerprint` is a 64-bit SimHash (signed or unsigned; stored signed)
    and `bands` its four 16-bit bands; for a 'no_text' article neither is stored."""

    url: str  # canonical
    title: str | None
    author: str | None
    publisher: str
    site_name: str | None
    language: str | None
    published_at: datetime | None
    fetched_at: datetime
    text_status: str  # 'ok' | 'no_text'
    text: str
    content_sha256: str | None
    fingerprint: int
    bands: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class WatchedEntity:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WatchedClaim:
    id: str
    text: str
    kind: str
    source: str | None
    opened: date | None
    entities: tuple[str, ...]
    denies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """A claim row: its text version and where its status stands."""

    id: str
    text: str
    text_sha256: str
    kind: str
    source: str | None
    entities: tuple[str, ...]
    denies: tuple[str, ...]
    active: bool
    status: str
    status_changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewEvidence:
    claim_id: str
    article_id: int
    stance: str  # supports | refutes | reports | unrelated
    confidence: float
    quote: str
    model_version: str
    claim_text_sha256: str
    backfill: bool
    judged_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """Stored evidence joined with what the article says about its source."""

    id: int
    claim_id: str
    article_id: int
    stance: str
    confidence: float
    quote: str
    model_version: str
    backfill: bool
    judged_at: datetime
    url: str
    title: str | None
    publisher: str
    cluster_id: int
    published_at: datetime | None
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimEventRecord:
    id: int
    claim_id: str
    kind: str
    old_status: str | None
    new_status: str | None
    evidence_id: int | None
    alert_worthy: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelStateRecord:
    """How far a channel has read the outbox, when it last got a digest, and its health."""

    channel_id: str
    cursor: int
    last_digest_at: datetime
    created_at: datetime
    failing_since: datetime | None
    last_error: str | None
    disabled_at: datetime | None
    disabled_reason: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One digest for one channel, and where its sending stands."""

    id: str
    channel_id: str
    status: str  # 'pending' | 'sent' | 'dead'
    digest: dict[str, object]
    event_count: int
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
