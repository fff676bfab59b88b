"""Entry identity shared by the RSS/Atom and JSON Feed readers: keys and disambiguation. Pure.

A key is the entry's guid (or id), else its canonical link, else a hash of title and summary.
Keys that repeat inside one feed are disambiguated Miniflux-style and symmetrically, so a
reordered copy of the same feed gives every entry the same key: every member of a colliding
group gets `key|link`; members whose `key|link` still collides get `key|link|<hash of title and
summary>`; only entries identical in all of these fall back to `...|position`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from monitor.domain import FeedEntry
from monitor.parse.text import one_line

MAX_KEY_CHARS = 512


@dataclass(frozen=True, slots=True)
class RawEntry:
    """An entry with cleaned fields, before its key is settled."""

    position: int  # index in the original feed
    guid: str | None  # full cleaned guid (FeedEntry.guid gets a capped copy)
    link: str | None
    title: str
    summary: str
    author: str | None
    published: datetime | None
    updated: datetime | None

    @property
    def is_empty(self) -> bool:
        return not (self.guid or self.link or self.title or self.summary)


def base_key(entry: RawEntry) -> str:
    """guid, else canonical link, else sha256 of title and summary; long keys are hashed."""
    if entry.guid:
        key = entry.guid
    elif entry.link:
        key = entry.link
    else:
        key = "sha256:" + _sha256(f"{entry.title}\n{entry.summary}")
    return _bounded(key)


def clean_guid(raw: object) -> str | None:
    """The guid as a single line of text, or None when missing or blank."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    return one_line(raw[: 64 * 1024]) or None


def to_feed_entries(entries: list[RawEntry]) -> tuple[FeedEntry, ...]:
    """FeedEntry values with unique keys, in the order given."""
    keys = unique_keys([base_key(entry) for entry in entries], entries)
    return tuple(
        FeedEntry(
            key=key,
            guid=_cap(entry.guid),
            link=entry.link,
            title=entry.title,
            summary=entry.summary,
            author=entry.author,
            published=entry.published,
            updated=entry.updated,
        )
        for key, entry in zip(keys, entries, strict=True)
    )


def unique_keys(bases: list[str], entries: list[RawEntry]) -> list[str]:
    """Disambiguate repeated base keys: key, then key|link, then |content hash, then |position."""
    keys = list(bases)
    for suffix in ("link", "content", "position"):
        counts = Counter(keys)
        if all(count == 1 for count in counts.values()):
            break
        keys = [
            _bounded(f"{key}|{_suffix(entry, suffix)}") if counts[key] > 1 else key
            for key, entry in zip(keys, entries, strict=True)
        ]
    return keys


def _suffix(entry: RawEntry, kind: str) -> str:
    if kind == "link":
        return entry.link or ""
    if kind == "content":
        return _sha256(f"{entry.title}\n{entry.summary}")[:16]
    return str(entry.position)


def _bounded(key: str) -> str:
    return key if len(key) <= MAX_KEY_CHARS else "sha256:" + _sha256(key)


def _cap(guid: str | None) -> str | None:
    if guid is None or len(guid) <= MAX_KEY_CHARS:
        return guid
    return guid[: MAX_KEY_CHARS - 1] + "…"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
