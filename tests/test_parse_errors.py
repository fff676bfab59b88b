"""parse_feed failure modes (RELIABILITY rows 1-4, 15-17, 22): each gives a clear outcome."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from monitor.errors import FeedError
from monitor.parse import parse_feed

FIXTURES = Path(__file__).parent / "feeds"
URL = "https://news.example.com/feed.xml"
ENTITY_REFUSED = (
    "feed declares XML entities (<!ENTITY>); refused for safety (to read it with its entities "
    "left unexpanded, list its URL in [parse] strip_dtd)"
)

VALID = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Valid</title>'
    b"<item><title>One</title><link>https://news.example.com/1</link></item>"
    b"<item><title>Two</title><link>https://news.example.com/2</link></item>"
    b"</channel></rss>"
)


def refused(body: bytes, **kwargs: str) -> str:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, url=URL, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize(
    "body", [b"", b" ", b"\r\n\t  \n", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \n"], ids=repr
)
def test_empty_body_is_an_empty_response(body: bytes) -> None:
    assert refused(body) == "empty response"


def test_malformed_feed_with_recovered_entries_is_returned_with_a_warning() -> None:
    feed = parse_feed((FIXTURES / "malformed_recovered.rss.xml").read_bytes(), url=URL)
    assert [e.key for e in feed.entries] == ["first", "second"]
    assert feed.entries[0].title == "First story with an HTML entity XML does not know"
    assert feed.title == "Recovered & Degraded"
    assert feed.warning is not None
    assert feed.warning.startswith("malformed XML at line 7")
    assert "undefined entity" in feed.warning
    assert "\n" not in feed.warning


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (VALID[:80], "malformed XML at line 1"),  # cut off before any item
        (b"<rss version='2.0'><channel><title>x</title><item", "malformed XML"),
        (b'<?xml version="1.0"?><urlset><url>https://x/</url></urlset>', "no RSS, Atom or RDF"),
        (b"just some words, no markup at all", "syntax error"),
        # feedparser opens an entry, but the cut leaves it with nothing to know it by
        (b"<rss><channel><item><title>x", "malformed XML at line 1"),
    ],
    ids=["truncated", "unclosed", "sitemap", "plain-text", "cut-inside-the-only-item"],
)
def test_malformed_feed_without_entries_is_not_a_valid_feed(body: bytes, reason: str) -> None:
    message = refused(body)
    assert message.startswith("not a valid RSS/Atom feed: ")
    assert reason in message


def test_html_page_is_reported_with_the_feeds_it_links_to() -> None:
    message = refused((FIXTURES / "html_page.html").read_bytes(), content_type="text/html")
    assert message == (
        "this URL is an HTML page, not a feed (it links to these feeds: "
        "https://news.example.com/rss.xml, https://news.example.com/atom.xml)"
    )


@pytest.mark.parametrize("content_type", [None, "application/rss+xml", "text/html"])
def test_html_page_without_alternates(content_type: str | None) -> None:
    body = b"<html><head><title>Hi</title></head><body><p>Hello</p></body></html>"
    kwargs = {"content_type": content_type} if content_type else {}
    assert refused(body, **kwargs) == "this URL is an HTML page, not a feed"


@pytest.mark.parametrize(
    "body",
    [
        random.Random(7).randbytes(4096),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(8).randbytes(2000),
        gzip.compress(VALID * 20),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8,
    ],
    ids=["random", "png", "gzip", "pdf"],
)
def test_binary_is_not_a_feed(body: bytes) -> None:
    assert refused(body) == "not a valid RSS/Atom/JSON feed: the response is binary data"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"status": "ok", "items": []}', "not a JSON Feed"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/2", "items": []}', "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "without an items list"),
        (b'{"version": "https://jsonfeed.org/version/1.1", ', "invalid JSON"),
        (b"[" * 200_000, "nested too deeply"),
    ],
    ids=["object", "array", "other-version", "items-object", "truncated", "deep"],
)
def test_json_that_is_not_a_json_feed(body: bytes, detail: str) -> None:
    message = refused(body, content_type="application/json")
    assert message.startswith("not a valid RSS/Atom/JSON feed: ")
    assert detail in message


def test_xxe_is_refused_and_the_file_content_appears_nowhere(tmp_path: Path) -> None:
    sentinel = "SENTINEL-7f3a9c-must-never-leak"
    secret = tmp_path / "secret.txt"
    secret.write_text(sentinel)
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&xxe;</title>'
        "<item><title>&xxe;</title><description>&xxe;</description>"
        "<link>https://news.example.com/1</link></item></channel></rss>"
    ).encode()
    with pytest.raises(FeedError) as caught:
        parse_feed(body, url=URL)
    assert str(caught.value) == ENTITY_REFUSED
    assert sentinel not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_xxe_in_utf16_is_refused(tmp_path: Path) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY x SYSTEM '
        f'"file://{tmp_path}/s">]><rss version="2.0"><channel><title>&x;</title></channel></rss>'
    ).encode("utf-16")
    assert refused(body) == ENTITY_REFUSED


def test_billion_laughs_is_refused() -> None:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(levels)}]>'
        '<rss version="2.0"><channel><title>&lol9;</title></channel></rss>'
    ).encode()
    assert refused(body) == ENTITY_REFUSED


@pytest.mark.timeout(10)
def test_quadratic_entity_is_refused_before_parsing() -> None:
    # feedparser's loose parser keeps this "safe-looking" entity and expands it 4,000 times.
    body = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "a" * 100_000 + '">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>'
        + "&a;" * 4_000
        + "</title></item></channel></rss>"
    ).encode()
    assert refused(body) == ENTITY_REFUSED


@pytest.mark.parametrize(
    "declaration",
    ['<!entity x "y">', '<!-- <!ENTITY x "y"> -->', '<![CDATA[<!ENTITY x "y">]]>'],
    ids=["lower-case", "in-prolog-comment", "cdata-before-root"],
)
def test_entity_declarations_are_refused_in_any_spelling_in_the_prolog(declaration: str) -> None:
    body = f'<?xml version="1.0"?>{declaration}<rss version="2.0"><channel/></rss>'.encode()
    assert refused(body) == ENTITY_REFUSED


def test_legitimate_feed_declaring_an_entity_is_refused_with_a_clear_message() -> None:
    # RELIABILITY row 22: the documented outcome for real feeds with a DTD is a refusal that
    # says how to read it anyway.
    body = (FIXTURES / "legit_entity_declaration.rss.xml").read_bytes()
    assert refused(body) == ENTITY_REFUSED


def test_a_feed_listed_in_strip_dtd_is_read_with_its_entities_unexpanded() -> None:
    """RELIABILITY row 22's per-feed override: the DOCTYPE's declarations are removed, `&nbsp;`
    (an HTML entity feedparser knows) still reads, and the feed is marked degraded."""
    body = (FIXTURES / "legit_entity_declaration.rss.xml").read_bytes()
    feed = parse_feed(body, url=URL, strip_dtd=True)
    (entry,) = feed.entries
    assert entry.title == "Hello world"
    assert feed.warning is not None and "undefined entity" in feed.warning  # degraded
    assert entry.link == "https://blog.example.com/hello"
    assert feed.title == "A legitimate feed that declares nbsp"


def test_strip_dtd_never_expands_an_external_or_nested_entity(tmp_path: Path) -> None:
    sentinel = "SENTINEL-5d1e-must-never-leak"
    secret = tmp_path / "secret.txt"
    secret.write_text(sentinel)
    laughs = "".join(
        ['<!ENTITY lol0 "lol">']
        + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">{laughs}]>'
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>&xxe; &lol9;</title><description>&xxe;</description>"
        "<link>https://news.example.com/1</link></item></channel></rss>"
    ).encode()
    feed = parse_feed(body, url=URL, strip_dtd=True)
    assert sentinel not in repr(feed) and "lollol" not in repr(feed)
    assert [e.link for e in feed.entries] == ["https://news.example.com/1"]


@pytest.mark.parametrize(
    "body",
    [
        # no internal subset to remove: the declaration is elsewhere, still refused
        b'<?xml version="1.0"?><!-- <!ENTITY x "y"> --><rss version="2.0"><channel/></rss>',
        # an internal subset that never ends: left alone, and refused
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y"><rss version="2.0"><channel/></rss>',
    ],
    ids=["comment", "unterminated"],
)
def test_strip_dtd_removes_only_a_whole_internal_subset(body: bytes) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, url=URL, strip_dtd=True)
    assert str(caught.value) == ENTITY_REFUSED


def test_entity_text_inside_body_cdata_is_article_text_not_a_declaration() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Sec blog</title><item>'
        b"<title>How XXE works</title><link>https://sec.example.com/xxe</link>"
        b'<description><![CDATA[<p>Payload: <code>&lt;!ENTITY x SYSTEM "file:///etc/passwd"&gt;'
        b'</code></p><pre><!ENTITY y "z"></pre>]]></description></item></channel></rss>'
    )
    (entry,) = parse_feed(body, url=URL).entries
    assert entry.title == "How XXE works"
    assert '<!ENTITY x SYSTEM "file:///etc/passwd">' in entry.summary


def test_max_items_below_one_is_a_bug() -> None:
    with pytest.raises(ValueError, match="max_items"):
        parse_feed(VALID, url=URL, max_items=0)
