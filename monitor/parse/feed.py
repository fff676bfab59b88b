"""parse_feed: feed bytes (RSS, Atom, JSON Feed) to a ParsedFeed, or a FeedError saying why. Pure.

Outcomes, in the order they are checked:
- no bytes, or only whitespace: FeedError "empty response";
- mostly control bytes (an image, a gzip stream, random data): "not a valid RSS/Atom/JSON feed";
- a JSON document: a JSON Feed 1.x, or "not a valid RSS/Atom/JSON feed: ..." for other JSON;
- an `<!ENTITY` declaration: "feed declares XML entities (<!ENTITY>); refused for safety";
- an HTML page: "this URL is an HTML page, not a feed", naming the feeds it links to, if any;
- XML with no feed entries that feedparser could not parse, or malformed XML none of whose
  entries has an id, link, title or summary: "not a valid RSS/Atom feed: <reason>";
- malformed XML from which the loose parser recovered entries: a ParsedFeed whose `warning` holds
  the parser's complaint (the pipeline marks the feed degraded), as do charset overrides and
  skipped entries.
"""

from __future__ import annotations

from monitor.domain import ParsedFeed
from monitor.errors import FeedError
from monitor.parse.encoding import decode_text, sniff_unicode
from monitor.parse.jsonfeed import looks_like_json, parse_json_feed
from monitor.parse.rss import parse_xml
from monitor.parse.safety import BINARY_MESSAGE, looks_binary

EMPTY_MESSAGE = "empty response"
_BLANK = b" \t\r\n\f\v\xef\xbb\xbf"


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    charset: str | None = None,
    max_items: int = 200,
    strip_dtd: bool = False,
) -> ParsedFeed:
    """Parse feed bytes fetched from `url`; only the newest `max_items` entries are returned.

    `content_type` and `charset` come from the HTTP Content-Type header. Entries keep their feed
    order; `total_entries` counts every entry in the document. `strip_dtd` reads an XML feed
    that declares entities with its DOCTYPE's internal subset removed instead of refusing it.
    Raises FeedError (message fit to show a user) when the bytes are not a usable feed; any
    other exception is a bug.
    """
    if max_items < 1:
        raise ValueError("max_items must be at least 1")
    if not body.strip(_BLANK):
        raise FeedError(EMPTY_MESSAGE)
    if sniff_unicode(body) is None and looks_binary(body):
        raise FeedError(BINARY_MESSAGE)
    if looks_like_json(decode_text(body[:256], charset)):
        return parse_json_feed(body, url=url, charset=charset, max_items=max_items)
    return parse_xml(
        body,
        url=url,
        content_type=content_type,
        charset=charset,
        max_items=max_items,
        strip_dtd=strip_dtd,
    )
