"""Domain values shared by the pipeline stages: frozen dataclasses, no I/O.

ORM rows never leave `monitor.db`; everything that crosses a stage boundary is one of these.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# A feed's published date this far after the article was first seen is not believed: a clock or
# a time zone can be a little ahead, a date in 2099 is not.
FUTURE_DATE_GRACE = timedelta(days=1)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is taken as UTC (SQLite gives them back so)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def believable_published(published: datetime | None, first_seen: datetime) -> datetime | None:
    """`published`, unless it is missing or more than FUTURE_DATE_GRACE after `first_seen`.
    Displays and orderings use it; storage keeps the feed's date."""
    if published is None or as_utc(published) > as_utc(first_seen) + FUTURE_DATE_GRACE:
        return None
    return published


def article_date(published: datetime | None, first_seen: datetime) -> datetime:
    """The date an article is shown and ordered by: `believable_published`, else first seen."""
    return believable_published(published, first_seen) or first_seen


class FetchStatus(enum.StrEnum):
    """What a fetch came back with."""

    OK = "ok"  # 2xx with a body
    NOT_MODIFIED = "not_modified"  # 304 to a conditional GET
    ERROR = "error"  # see FetchResult.error


class FetchErrorCode(enum.StrEnum):
    """Why a fetch failed; stable strings, stored in the database and shown to users."""

    INVALID_URL = "invalid_url"  # not parseable, backslash, control characters
    UNSUPPORTED_SCHEME = "unsupported_scheme"  # file:, ftp:, javascript:, ...
    BLOCKED_ADDRESS = "blocked_address"  # loopback, private, link-local, metadata, ...
    DNS = "dns"  # name does not resolve
    CONNECTION = "connection"  # refused, reset, truncated body
    TLS = "tls"  # handshake or certificate failure; never downgraded
    TIMEOUT = "timeout"  # connect, read, or the total deadline
    TOO_MANY_REDIRECTS = "too_many_redirects"
    TOO_LARGE = "too_large"  # Content-Length or decompressed bytes over the cap
    BAD_ENCODING = "bad_encoding"  # stacked or unknown Content-Encoding, corrupt gzip
    HTTP_STATUS = "http_status"  # 4xx / 5xx (429 and 503 carry retry_after_s)
    EMPTY = "empty"  # 204 or a 200 with no body
    BAD_CONTENT_TYPE = "bad_content_type"  # e.g. a PDF where an HTML page was expected


@dataclass(frozen=True, slots=True)
class FetchError:
    code: FetchErrorCode
    message: str  # one line, human readable, never contains secrets


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one GET (after redirects). Expected failures are results, not raises."""

    url: str  # as requested
    final_url: str  # after redirects
    status: FetchStatus
    http_status: int | None = None
    body: bytes | None = None  # decoded from Content-Encoding, at most the cap
    content_type: str | None = None  # media type only, lower case, e.g. "application/rss+xml"
    charset: str | None = None  # from the Content-Type header, if any
    etag: str | None = None
    last_modified: str | None = None
    retry_after_s: float | None = None  # from Retry-After (seconds or HTTP date), 429/503
    cache_max_age_s: float | None = None  # from Cache-Control max-age, if any
    permanent_redirect_to: str | None = None  # final target when every hop was 301/308
    error: FetchError | None = None
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a parsed feed."""

    key: str  # stable per-feed identity: guid, else link, else content hash (disambiguated)
    guid: str | None
    link: str | None  # canonical article URL (tracking parameters stripped), http(s) only
    title: str
    summary: str
    author: str | None
    published: datetime | None  # aware, UTC; None when missing or unparseable
    updated: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None
    version: str  # feedparser's version string ("rss20", "atom10", ...) or "json1"
    entries: tuple[FeedEntry, ...]
    warning: str | None = None  # bozo message when the loose parser recovered entries
    total_entries: int = 0  # before truncation to the newest N
    ttl_minutes: int | None = None  # RSS <ttl>


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """What trafilatura found in an article page."""

    text: str  # "" when the page has no article text
    title: str | None
    author: str | None
    published: datetime | None  # aware, UTC
    site_name: str | None
    language: str | None  # ISO 639-1 when known

    @property
    def has_text(self) -> bool:
        return bool(self.text.strip())


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A feed as configured or added by a user."""

    url: str
    name: str | None = None
    interval_s: int | None = None  # None: the [polling] default


class ItemOutcome(enum.StrEnum):
    STORED = "stored"  # article fetched, extracted and stored (or joined an existing one)
    NO_TEXT = "no_text"  # page fetched but held no article text
    SKIPPED = "skipped"  # no link, non-HTML content type, blocked address, ...
    ERROR = "error"  # fetch or extraction failed


class FeedOutcome(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"  # entries used, but the parser warned (bozo)
    NOT_MODIFIED = "not_modified"  # 304
    UNCHANGED = "unchanged"  # body byte-identical to the last one; not parsed
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    url: str
    title: str | None
    publisher: str
    published: datetime | None
    outcome: ItemOutcome
    cluster_id: int | None = None
    entities: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceSummary:
    """A new judgement of what an article does with a claim."""

    claim_id: str
    article_url: str
    stance: str  # supports | refutes | reports | unrelated
    confidence: float
    quote: str


@dataclass(frozen=True, slots=True)
class FeedPollResult:
    """What one poll of one feed did; `monitor check` prints these."""

    url: str
    name: str | None
    outcome: FeedOutcome
    new_items: int = 0
    error: str | None = None
    warning: str | None = None
    articles: tuple[ArticleSummary, ...] = field(default_factory=tuple)
    evidence: tuple[EvidenceSummary, ...] = field(default_factory=tuple)
