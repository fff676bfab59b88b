"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1) bytes to a ParsedFeed. Pure."""

from __future__ import annotations

import json
from typing import Any

from monitor.domain import ParsedFeed
from monitor.errors import FeedError
from monitor.parse.dates import from_rfc3339, timestamp_of
from monitor.parse.encoding import decode_text
from monitor.parse.entries import RawEntry, clean_guid, to_feed_entries
from monitor.parse.links import resolve_link
from monitor.parse.text import clean_label, clean_summary, clean_title
from monitor.parse.window import newest_positions

NOT_A_FEED = "not a valid RSS/Atom/JSON feed"
VERSION = "json1"
_VERSION_PREFIX = "https://jsonfeed.org/version/1"


def looks_like_json(head: str) -> bool:
    """True when a document's first non-blank character opens a JSON object or array."""
    return head.lstrip()[:1] in ("{", "[")


def parse_json_feed(body: bytes, *, url: str, charset: str | None, max_items: int) -> ParsedFeed:
    """Parse a JSON Feed; raise FeedError for invalid JSON or JSON that is not a JSON Feed."""
    document = _load(body, charset)
    if not isinstance(document, dict):
        raise FeedError(f"{NOT_A_FEED}: JSON that is not a JSON Feed")
    version = document.get("version")
    if not isinstance(version, str) or not _is_version_1(version):
        raise FeedError(f"{NOT_A_FEED}: JSON that is not a JSON Feed (no jsonfeed.org version)")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError(f"{NOT_A_FEED}: JSON Feed without an items list")

    stamps = [timestamp_of(_newest_date(item)) for item in items]
    chosen = newest_positions(stamps, max_items)
    raw = [_raw_entry(items[i], i, url) for i in chosen if isinstance(items[i], dict)]
    entries = [entry for entry in raw if not entry.is_empty]
    skipped = len(chosen) - len(entries)
    return ParsedFeed(
        title=clean_title(_string(document.get("title"))),
        link=resolve_link(document.get("home_page_url"), url),
        version=VERSION,
        entries=to_feed_entries(entries),
        warning=f"skipped {skipped} entries with no id, link, title or summary"
        if skipped
        else None,
        total_entries=len(items),
    )


def _load(body: bytes, charset: str | None) -> Any:
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        text = decode_text(body, charset)
    except RecursionError:
        raise FeedError(f"{NOT_A_FEED}: JSON nested too deeply") from None
    except ValueError as exc:
        raise FeedError(f"{NOT_A_FEED}: invalid JSON ({_reason(exc)})") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise FeedError(f"{NOT_A_FEED}: JSON nested too deeply") from None
    except ValueError as exc:
        raise FeedError(f"{NOT_A_FEED}: invalid JSON ({_reason(exc)})") from None


def _reason(exc: ValueError) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _is_version_1(version: str) -> bool:
    version = version.strip().rstrip("/")
    return version == _VERSION_PREFIX or version.startswith(_VERSION_PREFIX + ".")


def _raw_entry(item: dict[str, Any], position: int, base: str) -> RawEntry:
    link = resolve_link(item.get("url"), base) or resolve_link(item.get("external_url"), base)
    return RawEntry(
        position=position,
        guid=clean_guid(item.get("id")),
        link=link,
        title=clean_title(_string(item.get("title"))),
        summary=_summary(item),
        author=clean_label(_author(item)),
        published=_published(item),
        updated=from_rfc3339(item.get("date_modified")),
    )


def _summary(item: dict[str, Any]) -> str:
    if summary := _string(item.get("summary")).strip():
        return clean_summary(summary, is_html=False)
    if text := _string(item.get("content_text")).strip():
        return clean_summary(text, is_html=False)
    return clean_summary(_string(item.get("content_html")), is_html=True)


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    names = [
        _string(author.get("name")).strip() for author in candidates if isinstance(author, dict)
    ]
    return ", ".join(name for name in names if name) or None


def _published(item: dict[str, Any]) -> Any:
    return from_rfc3339(item.get("date_published"))


def _newest_date(item: object) -> Any:
    if not isinstance(item, dict):
        return None
    return _published(item) or from_rfc3339(item.get("date_modified"))


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""
