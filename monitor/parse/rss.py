"""RSS 0.9x/1.0/2.0 and Atom bytes to a ParsedFeed with feedparser (given bytes, never a URL). Pure.

The bytes are first decoded and re-encoded as UTF-8 (`encoding`), checked for entity
declarations (`safety`) and, when there are more than `max_items` items, cut to the newest ones
(`window`). feedparser runs without its HTML sanitiser and URI resolver: every text field is
reduced to plain text here, which removes markup more thoroughly and costs less than half.
"""

from __future__ import annotations

import dataclasses
import xml.sax
from typing import Any

import feedparser

from monitor.domain import ParsedFeed
from monitor.errors import FeedError
from monitor.parse.dates import from_struct_time, timestamp_of
from monitor.parse.encoding import decode_xml
from monitor.parse.entries import RawEntry, clean_guid, to_feed_entries
from monitor.parse.links import alternate_feeds, looks_like_html, resolve_link
from monitor.parse.safety import refuse_entity_declarations, strip_internal_dtd
from monitor.parse.text import clean_label, clean_summary, clean_title, one_line
from monitor.parse.window import newest_positions, newest_window

NOT_A_FEED = "not a valid RSS/Atom feed"
HTML_PAGE = "this URL is an HTML page, not a feed"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_MAX_TTL_MINUTES = 366 * 24 * 60
_WARNING_CHARS = 300


def parse_xml(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    charset: str | None,
    max_items: int,
    strip_dtd: bool = False,
) -> ParsedFeed:
    """Parse an RSS/Atom document; raise FeedError when it holds no usable feed. With
    `strip_dtd`, a DOCTYPE's internal subset is removed first (`safety.strip_internal_dtd`)."""
    decoded = decode_xml(body, charset)
    if strip_dtd:
        decoded = dataclasses.replace(decoded, data=strip_internal_dtd(decoded.data))
    refuse_entity_declarations(decoded.data)
    window = newest_window(decoded.data, max_items)
    result = _feedparser(window.data if window else decoded.data)
    version = str(result.get("version") or "")
    items: list[Any] = list(result.get("entries") or [])
    bozo = _bozo_message(result) if result.get("bozo") else None
    if not items and (not version or bozo):
        raise _not_a_feed(decoded.data, url, content_type, version, bozo)

    # A truncated tail the window left alone may hold one more entry than it counted.
    total = window.total + max(0, len(items) - len(window.positions)) if window else len(items)
    positions = list(window.positions) if window and len(window.positions) == len(items) else None
    chosen = _choose(items, max_items) if positions is None else list(range(len(items)))
    raw = [_raw_entry(items[i], positions[i] if positions else i, url) for i in chosen]
    entries = [entry for entry in raw if not entry.is_empty]
    if bozo and raw and not entries:  # malformed, and nothing in it could be read
        raise _not_a_feed(decoded.data, url, content_type, version, bozo)
    skipped = len(raw) - len(entries)

    notes = [note for note in (decoded.warning, bozo) if note]
    if skipped:
        notes.append(f"skipped {skipped} entries with no id, link, title or summary")
    feed: Any = result.get("feed") or {}
    return ParsedFeed(
        title=clean_title(_text(feed.get("title")), is_html=_is_html(feed.get("title_detail"))),
        link=resolve_link(feed.get("link"), url),
        version=version,
        entries=to_feed_entries(entries),
        warning="; ".join(notes) if notes else None,
        total_entries=total,
        ttl_minutes=_ttl(feed.get("ttl")),
    )


def _feedparser(data: bytes) -> Any:
    """feedparser on UTF-8 bytes; its crashes on hostile input become FeedError."""
    try:
        return feedparser.parse(
            data,
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (ValueError, LookupError, ArithmeticError, RecursionError, TypeError) as exc:
        raise FeedError(f"{NOT_A_FEED}: the parser failed ({type(exc).__name__})") from None


def _choose(items: list[Any], limit: int) -> list[int]:
    """Positions of the newest `limit` items that have anything to identify them by."""
    usable = [i for i, item in enumerate(items) if _has_identity(item)]
    if len(usable) <= limit:
        return list(range(len(items)))  # the empties are kept to be counted as skipped
    stamps = [
        timestamp_of(_date(items[i], "published") or _date(items[i], "updated")) for i in usable
    ]
    return [usable[k] for k in newest_positions(stamps, limit)]


def _has_identity(item: Any) -> bool:
    return any(item.get(name) for name in ("id", "link", "title", "summary", "content"))


def _raw_entry(item: Any, position: int, base: str) -> RawEntry:
    summary, summary_is_html = _summary(item)
    return RawEntry(
        position=position,
        guid=clean_guid(item.get("id")),
        link=resolve_link(item.get("link"), base),
        title=clean_title(_text(item.get("title")), is_html=_is_html(item.get("title_detail"))),
        summary=clean_summary(summary, is_html=summary_is_html),
        author=clean_label(_text(item.get("author"))),
        published=_date(item, "published"),
        updated=_date(item, "updated"),
    )


def _summary(item: Any) -> tuple[str, bool]:
    """The entry's summary, else its first content block, with whether it is HTML."""
    summary = _text(item.get("summary"))
    if summary.strip():
        return summary, _is_html(item.get("summary_detail"), default=True)
    for block in item.get("content") or []:
        value = _text(block.get("value")) if isinstance(block, dict) else ""
        if value.strip():
            return value, _is_html(block, default=True)
    return "", False


def _date(item: Any, name: str) -> Any:
    # dict.get: FeedParserDict.get("updated_parsed") falls back to published_parsed, with a warning
    return from_struct_time(dict.get(item, f"{name}_parsed"))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _is_html(detail: object, *, default: bool = False) -> bool:
    if not isinstance(detail, dict):
        return default
    kind = detail.get("type")
    return kind in _HTML_TYPES if isinstance(kind, str) else default


def _ttl(value: object) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes if 0 < minutes <= _MAX_TTL_MINUTES else None


def _bozo_message(result: Any) -> str:
    """feedparser's complaint in one line: "malformed XML at line 3, column 9: mismatched tag"."""
    error = result.get("bozo_exception")
    if isinstance(error, xml.sax.SAXParseException):
        where = f"line {error.getLineNumber()}, column {error.getColumnNumber()}"
        message = f"malformed XML at {where}: {one_line(str(error.getMessage()))}"
    elif error is not None and str(error).strip():
        message = f"{type(error).__name__}: {one_line(str(error))}"
    else:
        message = "malformed XML"
    return message[:_WARNING_CHARS]


def _not_a_feed(
    data: bytes, url: str, content_type: str | None, version: str, bozo: str | None
) -> FeedError:
    """The FeedError for a document in which feedparser found no entries."""
    head = data[: 256 * 1024].decode("utf-8", "replace")
    if not version and (looks_like_html(head) or (content_type or "").lower() in _HTML_TYPES):
        candidates = alternate_feeds(head, url)
        hint = f" (it links to these feeds: {', '.join(candidates)})" if candidates else ""
        return FeedError(HTML_PAGE + hint)
    return FeedError(f"{NOT_A_FEED}: {bozo or 'no RSS, Atom or RDF root element'}")
