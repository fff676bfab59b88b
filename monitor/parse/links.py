"""Links found in feeds: resolved against the feed URL, http(s) only, canonical. Pure.

Also recognises an HTML page served where a feed was expected, and lists the feeds it
advertises with `<link rel="alternate" type="application/rss+xml" href=...>`.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

from monitor.parse.text import strip_controls
from monitor.urls import ALLOWED_SCHEMES, canonical_url

MAX_URL_CHARS = 4_000

_HTML_SIGNS = re.compile(r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|meta\s)", re.I)
_LINK_TAG = re.compile(r"<link\b[^>]{0,2000}>", re.I)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
_SCAN_CHARS = 256 * 1024


def resolve_link(href: object, base: str) -> str | None:
    """`href` resolved against `base` and made canonical; None unless it is an http(s) URL."""
    if not isinstance(href, str):
        return None
    candidate = strip_controls(href).strip()
    if not candidate or len(candidate) > MAX_URL_CHARS:
        return None
    try:
        absolute = urljoin(base, candidate)
        parts = urlsplit(absolute)
        if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
            return None
        return canonical_url(absolute)
    except ValueError:
        return None


def looks_like_html(text: str) -> bool:
    """True when the start of a document has the marks of an HTML page."""
    return _HTML_SIGNS.search(text[:8192]) is not None


def alternate_feeds(text: str, base: str, limit: int = 3) -> list[str]:
    """Feed URLs an HTML page advertises through `<link rel="alternate" type=...>`."""
    found: list[str] = []
    for tag in _LINK_TAG.finditer(text[:_SCAN_CHARS]):
        attributes = {
            match.group(1).lower(): html.unescape(
                next(g for g in match.groups()[1:] if g is not None)
            )
            for match in _ATTRIBUTE.finditer(tag.group(0))
        }
        rel = attributes.get("rel", "").lower().split()
        kind = attributes.get("type", "").lower().strip()
        if "alternate" not in rel or kind not in _FEED_TYPES:
            continue
        link = resolve_link(attributes.get("href"), base)
        if link and link not in found:
            found.append(link)
        if len(found) >= limit:
            break
    return found
