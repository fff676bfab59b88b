"""Cut a big feed down to its newest N items at the byte level, before feedparser sees it. Pure.

feedparser costs about 0.1-0.15 ms per item (14.5 s for 100,000 items), while only the newest N
(200) items are ever used. This module finds each `<item>`/`<entry>` element's byte span in the
UTF-8 document with one regular-expression pass (comments and CDATA sections skipped), reads each
item's first date element, keeps the newest N spans and drops the others, leaving every other
byte in place so feedparser sees the same document, only shorter. When the markup is not plainly
balanced (nested items, stray end tags) it gives up and the caller parses the whole document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.parse.dates import parse_date_text, timestamp_of

_TOKEN = re.compile(
    rb"((?-i:<!--|<!\[CDATA\[))"
    rb"|<(/?)(?:[A-Za-z_][\w.-]{0,100}:)?(?:item|entry)(?=[\s/>])[^>]{0,4000}?(/?)>",
    re.IGNORECASE,
)
_SKIP_UNTIL = {b"<!--": b"-->", b"<![CDATA[": b"]]>"}
_DATE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]{0,100}:)?(?:pubDate|published|updated|date|issued|modified|created)\s*>"
    rb"\s*(?:<!\[CDATA\[)?([^<\]]{4,100})",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Window:
    data: bytes  # the document with only the kept items
    total: int  # items in the original document
    positions: tuple[int, ...]  # original index of each kept item, in document order


def item_spans(data: bytes) -> list[tuple[int, int]] | None:
    """Byte spans of the feed's complete items in document order; None for nested or stray tags.

    A truncated tail (an item, comment or CDATA section that never ends) is not an error: the
    spans before it are returned and the tail stays in the document as it is.
    """
    spans: list[tuple[int, int]] = []
    start: int | None = None
    position = 0
    while (match := _TOKEN.search(data, position)) is not None:
        position = match.end()
        if match.group(1) is not None:  # comment or CDATA: jump past its end
            end = data.find(_SKIP_UNTIL[match.group(1)], position)
            if end == -1:
                return spans
            position = end
            continue
        closing, self_closing = bool(match.group(2)), bool(match.group(3))
        if closing:
            if start is None:
                return None
            spans.append((start, match.end()))
            start = None
        elif self_closing:
            if start is not None:
                return None
            spans.append((match.start(), match.end()))
        elif start is not None:
            return None  # nested item: not a layout this scanner understands
        else:
            start = match.start()
    return spans


def newest_positions(timestamps: Sequence[float | None], limit: int) -> list[int]:
    """Indices of the `limit` newest items, in document order.

    Undated items rank first (they cannot be shown to be old; the pipeline drops known items),
    then dated items newest first; ties keep document order.
    """
    if len(timestamps) <= limit:
        return list(range(len(timestamps)))
    ranked = sorted(
        range(len(timestamps)),
        key=lambda i: (timestamps[i] is not None, -(timestamps[i] or 0.0), i),
    )
    return sorted(ranked[:limit])


def newest_window(data: bytes, limit: int) -> Window | None:
    """The document reduced to its newest `limit` items, or None when no cut is needed or safe."""
    spans = item_spans(data)
    if spans is None or len(spans) <= limit:
        return None
    cache: dict[bytes, float | None] = {}
    timestamps = [_item_timestamp(data, start, end, cache) for start, end in spans]
    keep = newest_positions(timestamps, limit)
    kept = set(keep)
    pieces: list[bytes] = []
    cursor = 0
    for index, (start, end) in enumerate(spans):
        pieces.append(data[cursor:start])
        if index in kept:
            pieces.append(data[start:end])
        cursor = end
    pieces.append(data[cursor:])
    return Window(data=b"".join(pieces), total=len(spans), positions=tuple(keep))


def _item_timestamp(
    data: bytes, start: int, end: int, cache: dict[bytes, float | None]
) -> float | None:
    match = _DATE.search(data, start, end)
    if match is None:
        return None
    raw = match.group(1).strip()
    if raw not in cache:
        cache[raw] = timestamp_of(parse_date_text(raw.decode("utf-8", "replace")))
    return cache[raw]
