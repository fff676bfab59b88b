"""Cheap checks before any parser sees the bytes: entity declarations and binary data. Pure.

Entity declarations are refused outright (RELIABILITY rows 15-17 and 22). feedparser's loose
parser keeps "safe-looking" entities from the prolog and expands them (a 100 KB entity used 4,000
times grew to 1.2 GB), and XXE or billion-laughs documents are never legitimate feed content. The
few real feeds that declare entities (e.g. for `&nbsp;`) are refused with a clear message rather
than parsed half-way; the scan ignores `<!ENTITY` inside CDATA sections in the document body, where
it is article text (a post about XXE), not a declaration.
"""

from __future__ import annotations

import re

from monitor.errors import FeedError

ENTITY_MESSAGE = (
    "feed declares XML entities (<!ENTITY>); refused for safety (to read it with its entities "
    "left unexpanded, list its URL in [parse] strip_dtd)"
)
BINARY_MESSAGE = "not a valid RSS/Atom/JSON feed: the response is binary data"

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_INTERNAL_SUBSET_END = re.compile(rb"\]\s*>")
_CDATA_OPEN = b"<![CDATA["
_CDATA_CLOSE = b"]]>"
_CONTROL_BYTES = frozenset(range(0x09)) | {0x0B, 0x0C} | frozenset(range(0x0E, 0x20))
_BINARY_SAMPLE = 1024
_BINARY_RATIO = 0.02


def refuse_entity_declarations(data: bytes) -> None:
    """Raise FeedError if the UTF-8 document `data` declares an XML entity anywhere.

    Linear in the size of `data`; documents without the substring cost one regex scan.
    """
    root: int | None = None
    for match in _ENTITY_DECLARATION.finditer(data):
        if root is None:
            first = _FIRST_ELEMENT.search(data)
            root = first.start() if first else len(data)
        if not _inside_body_cdata(data, match.start(), root):
            raise FeedError(ENTITY_MESSAGE)


def strip_internal_dtd(data: bytes) -> bytes:
    """`data` without the internal subset of a DOCTYPE in its prolog (`<!DOCTYPE rss [ ... ]>`,
    where entities are declared), keeping `<!DOCTYPE rss>`: the references to those entities are
    then undefined, so no parser expands them. For feeds a user has chosen to read so
    (`[parse] strip_dtd`); `refuse_entity_declarations` still runs after it."""
    doctype = _DOCTYPE.search(data)
    if doctype is None or _FIRST_ELEMENT.search(data, 0, doctype.start()):
        return data  # none, or not in the prolog
    opening = data.find(b"[", doctype.end())
    closing = data.find(b">", doctype.end())
    if opening == -1 or (closing != -1 and closing < opening):
        return data  # a DOCTYPE without an internal subset
    end = _INTERNAL_SUBSET_END.search(data, opening)
    if end is None:
        return data  # unterminated: left for the entity scan to refuse
    return data[:opening].rstrip() + b">" + data[end.end() :]


def _inside_body_cdata(data: bytes, position: int, root: int) -> bool:
    if position < root:
        return False  # the prolog, where declarations take effect
    opened = data.rfind(_CDATA_OPEN, root, position)
    return opened != -1 and data.find(_CDATA_CLOSE, opened, position) == -1


def looks_binary(sample: bytes) -> bool:
    """True when an ASCII-compatible body does not start like markup or JSON and its first KiB
    holds many control bytes (more than 2%: NUL, ESC, ...), as images and compressed data do.

    A feed with stray NULs in a title starts with "<": that is text to clean, not binary.
    """
    head = sample[:_BINARY_SAMPLE]
    if not head or head.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] in (b"<", b"{", b"["):
        return False
    controls = sum(1 for byte in head if byte in _CONTROL_BYTES)
    return controls > _BINARY_RATIO * len(head)
