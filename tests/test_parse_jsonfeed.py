"""JSON Feed 1.0 and 1.1 through parse_feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.parse import parse_feed

URL = "https://blog.example.com/feed.json"


def json_feed(items: list[Any], version: str = "https://jsonfeed.org/version/1.1") -> bytes:
    document = {
        "version": version,
        "title": "Example\r\nBlog",
        "home_page_url": "https://blog.example.com/",
        "feed_url": URL,
        "items": items,
    }
    return json.dumps(document).encode()


def test_json_feed_1_1() -> None:
    feed = parse_feed(
        json_feed(
            [
                {
                    "id": "post-2",
                    "url": "https://blog.example.com/2?utm_campaign=x",
                    "title": "Second",
                    "content_html": "<p>Hello <script>x()</script><b>world</b></p>",
                    "date_published": "2024-02-01T10:00:00+01:00",
                    "date_modified": "2024-02-02T00:00:00Z",
                    "authors": [{"name": "Ana"}, {"name": "Bo"}, {"url": "https://x"}],
                },
                {"id": 1, "external_url": "/elsewhere", "content_text": "Plain\n\ntext {{ 7*7 }}"},
            ]
        ),
        url=URL,
        content_type="application/feed+json",
    )
    assert (feed.version, feed.title, feed.link) == (
        "json1",
        "Example Blog",
        "https://blog.example.com/",
    )
    second, first = feed.entries
    assert (second.key, second.link, second.title) == (
        "post-2",
        "https://blog.example.com/2",
        "Second",
    )
    assert second.summary == "Hello world"
    assert second.author == "Ana, Bo"
    assert second.published == datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
    assert second.updated == datetime(2024, 2, 2, tzinfo=UTC)
    assert (first.key, first.link) == ("1", "https://blog.example.com/elsewhere")
    assert first.summary == "Plain\n\ntext {{ 7*7 }}"
    assert first.published is None
    assert feed.total_entries == 2 and feed.warning is None


def test_json_feed_1_0_with_author_object_and_summary() -> None:
    feed = parse_feed(
        json_feed(
            [{"id": "a", "summary": "Short", "content_text": "Long", "author": {"name": "Cy"}}],
            version="https://jsonfeed.org/version/1",
        ),
        url=URL,
    )
    (entry,) = feed.entries
    assert (entry.summary, entry.author) == ("Short", "Cy")


def test_json_feed_bad_items_and_links() -> None:
    feed = parse_feed(
        json_feed(
            [
                "not an object",
                {},
                {"id": "", "url": "javascript:alert(1)", "title": "  "},
                {"id": "ok", "url": "data:text/plain,hi", "date_published": "not a date"},
            ]
        ),
        url=URL,
    )
    (entry,) = feed.entries
    assert (entry.key, entry.link, entry.published) == ("ok", None, None)
    assert feed.total_entries == 4
    assert feed.warning == "skipped 3 entries with no id, link, title or summary"


def test_json_feed_keeps_the_newest_items() -> None:
    items = [
        {"id": str(day), "date_published": f"2024-03-{day:02d}T00:00:00Z"} for day in (5, 1, 9, 3)
    ]
    feed = parse_feed(json_feed(items), url=URL, max_items=2)
    assert [e.key for e in feed.entries] == ["5", "9"]
    assert feed.total_entries == 4


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf", b"  \n"])
def test_json_feed_with_bom_or_leading_space(prefix: bytes) -> None:
    feed = parse_feed(prefix + json_feed([{"id": "x", "title": "Ünïcode"}]), url=URL)
    assert feed.entries[0].title == "Ünïcode"


def test_json_feed_in_latin1_bytes_is_decoded_from_the_charset() -> None:
    body = json_feed([{"id": "x", "title": "Ça coûte"}]).decode().replace(r"\u00c7", "Ç")
    body = body.replace(r"\u00fb", "û")
    feed = parse_feed(body.encode("latin-1"), url=URL, charset="iso-8859-1")
    assert feed.entries[0].title == "Ça coûte"
