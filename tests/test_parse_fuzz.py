"""Hypothesis: mutated feed bytes give a ParsedFeed or a FeedError, never anything else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.domain import ParsedFeed
from monitor.errors import FeedError
from monitor.parse import parse_feed

RSS = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Fuzz &amp; co</title>'
    "<link>https://f.example.com/</link><ttl>30</ttl>"
    "<item><title>Ünïcode “one”</title><link>https://f.example.com/1</link><guid>1</guid>"
    "<pubDate>Tue, 05 Mar 2024 14:30:00 GMT</pubDate>"
    "<description><![CDATA[<p>Some <b>html</b> &amp; text</p>]]></description></item>"
    "<item><title>Two</title><link>/2</link><pubDate>2024-03-06T00:00:00Z</pubDate></item>"
    "</channel></rss>"
).encode()
ATOM = (
    b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example.com/"><title>A</title>'
    b'<entry><id>tag:a,2024:1</id><title type="html">&lt;i&gt;x&lt;/i&gt;</title>'
    b'<link href="p/1"/><updated>2024-03-01T12:00:00+02:00</updated>'
    b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content>'
    b"</entry></feed>"
)
RDF = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b'<channel rdf:about="https://r.example.com/"><title>R</title></channel>'
    b'<item rdf:about="https://r.example.com/1"><title>R1</title><link>https://r.example.com/1</link>'
    b"<dc:date>2024-01-01</dc:date></item></rdf:RDF>"
)
JSON = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [{"id": "1", "url": "https://j.example.com/1", "content_html": "<p>x</p>"}],
    }
).encode()

TOKENS = [
    b"<", b">", b"&", b"&amp;", b"&#0;", b"&#xD800;", b"&nbsp;", b"]]>", b"<![CDATA[", b"<!--",
    b"-->", b"<item>", b"</item>", b"<entry>", b"<!ENTITY", b"<!DOCTYPE x>", b"\x00", b"\xff",
    b"\xef\xbb\xbf", b"\xfe\xff", b"\r\n", b'"', b"{", b"}", b"[", b"]", b'"items"', b"<?xml",
    b'encoding="utf-16"?>', b"javascript:", b"<script>", b"\xc3", b"\xe2\x80",
]  # fmt: skip

mutation = st.tuples(
    st.sampled_from(["insert", "delete", "replace", "truncate"]),
    st.floats(min_value=0, max_value=1),
    st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8)),
)


def mutate(body: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    for kind, where, payload in mutations:
        at = int(where * len(body))
        if kind == "insert":
            body = body[:at] + payload + body[at:]
        elif kind == "delete":
            body = body[:at] + body[at + len(payload) :]
        elif kind == "replace":
            body = body[:at] + payload + body[at + len(payload) :]
        else:
            body = body[:at]
    return body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from([RSS, ATOM, RDF, JSON]),
    mutations=st.lists(mutation, max_size=6),
    charset=st.sampled_from([None, "utf-8", "iso-8859-1", "shift_jis", "utf-16", "bogus"]),
    max_items=st.integers(min_value=1, max_value=3),
)
def test_mutated_feeds_parse_or_raise_feed_error(
    seed: bytes,
    mutations: list[tuple[str, float, bytes]],
    charset: str | None,
    max_items: int,
) -> None:
    body = mutate(seed, mutations)
    try:
        feed = parse_feed(
            body, url="https://f.example.com/feed", charset=charset, max_items=max_items
        )
    except FeedError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(feed, ParsedFeed)
    assert len(feed.entries) <= max_items
    assert len({entry.key for entry in feed.entries}) == len(feed.entries)
    for entry in feed.entries:
        assert "\x00" not in entry.title + entry.summary + entry.key
        assert "\n" not in entry.title
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
    assert feed.warning is None or "\n" not in feed.warning


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=2000))
def test_arbitrary_bytes_parse_or_raise_feed_error(body: bytes) -> None:
    try:
        feed = parse_feed(body, url="https://f.example.com/feed")
    except FeedError as error:
        assert str(error)
    else:
        assert isinstance(feed, ParsedFeed)
