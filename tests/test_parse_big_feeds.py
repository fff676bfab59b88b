"""Big feeds (RELIABILITY row 5): only the newest N items are parsed, whatever the size."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.parse import parse_feed
from monitor.parse.window import item_spans, newest_window

URL = "https://big.example.com/feed.xml"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def big_rss(minutes: list[int]) -> bytes:
    items = "".join(
        f"<item><title>Item {m}</title><link>https://big.example.com/a/{m}</link>"
        f"<guid>id-{m}</guid><pubDate>{rfc822(EPOCH + timedelta(minutes=m))}</pubDate></item>"
        for m in minutes
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>'
        f"<link>https://big.example.com/</link>{items}</channel></rss>"
    ).encode()


def test_100000_items_are_cut_to_the_newest_200() -> None:
    minutes = list(range(100_000))
    random.Random(5).shuffle(minutes)
    body = big_rss(minutes)
    assert len(body) > 5_000_000

    feed = parse_feed(body, url=URL)

    assert feed.total_entries == 100_000
    assert len(feed.entries) == 200
    newest = set(range(100_000 - 200, 100_000))
    assert {int(e.key.removeprefix("id-")) for e in feed.entries} == newest
    kept_in_feed_order = [m for m in minutes if m in newest]
    assert [e.title for e in feed.entries] == [f"Item {m}" for m in kept_in_feed_order]
    assert feed.warning is None


def test_atom_entries_are_windowed_by_their_updated_date() -> None:
    entries = "".join(
        f"<entry><id>urn:e:{i}</id><title>E{i}</title>"
        f"<updated>{(EPOCH + timedelta(hours=i)).isoformat()}</updated></entry>"
        for i in range(300)
    )
    body = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>{entries}</feed>'.encode()
    feed = parse_feed(body, url=URL, max_items=10)
    assert [e.key for e in feed.entries] == [f"urn:e:{i}" for i in range(290, 300)]
    assert feed.total_entries == 300


def test_rdf_items_are_windowed_and_the_items_list_left_alone() -> None:
    seq = "".join(f'<rdf:li resource="https://big.example.com/{i}"/>' for i in range(50))
    items = "".join(
        f'<item rdf:about="https://big.example.com/{i}"><title>R{i}</title>'
        f"<link>https://big.example.com/{i}</link>"
        f"<dc:date>2024-01-{i % 28 + 1:02d}</dc:date></item>"
        for i in range(50)
    )
    body = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="https://big.example.com/"><title>R</title>'
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>{items}</rdf:RDF>"
    ).encode()
    feed = parse_feed(body, url=URL, max_items=2)
    assert feed.version == "rss10"
    assert feed.total_entries == 50
    assert [e.title for e in feed.entries] == ["R26", "R27"]  # dated the 27th and the 28th
    assert all(e.updated is not None for e in feed.entries)


def test_window_and_full_parse_keep_the_same_entries() -> None:
    minutes = list(range(500))
    random.Random(9).shuffle(minutes)
    body = big_rss(minutes)
    windowed = parse_feed(body, url=URL)
    # A stray </item> after the document makes the byte scanner give up: full (loose) parse.
    assert newest_window(body + b"</item>", 200) is None
    full = parse_feed(body + b"</item>", url=URL)
    assert [e.key for e in full.entries] == [e.key for e in windowed.entries]
    assert full.total_entries == windowed.total_entries == 500
    assert full.warning is not None and windowed.warning is None


def test_truncated_big_feed_is_windowed_and_recovers_entries() -> None:
    minutes = list(range(1_000))
    body = big_rss(minutes)
    cut = body[: body.rfind(b"<item>") + 40]  # the download stopped inside the last item
    feed = parse_feed(cut, url=URL, max_items=5)
    assert feed.warning is not None and feed.warning.startswith("malformed XML")
    # The cut item comes back undated (its pubDate was lost), so it counts as new.
    *dated, partial = feed.entries
    assert [e.key for e in dated] == [f"id-{m}" for m in range(995, 999)]
    assert (partial.title, partial.link, partial.published) == ("Item 999", None, None)
    assert feed.total_entries == 1_000


@pytest.mark.parametrize(
    ("document", "spans"),
    [
        (b"<rss><item>a</item><item>b</item></rss>", [(5, 19), (19, 33)]),
        (b"<x><item/><entry a='1'>b</entry></x>", [(3, 10), (10, 32)]),
        (b"<x><!-- <item> --><item>a</item></x>", [(18, 32)]),
        (b"<x><d><![CDATA[<item>]]></d><item>a</item></x>", [(28, 42)]),
        (b"<x><items><rdf:li/></items><rss:item>a</rss:item></x>", [(27, 49)]),
        (b"<x><item><item>a</item></item></x>", None),
        (b"<x></item><item>a</item></x>", None),
        (b"<x><item>a</item><item>trunc", [(3, 17)]),
        (b"<x><item>a</item><![CDATA[ never closed <item>a</item>", [(3, 17)]),
        (b"<x><item>a</item><!-- never closed <item>a</item>", [(3, 17)]),
    ],
    ids=[
        "rss",
        "self-closing",
        "comment",
        "cdata",
        "prefixed",
        "nested",
        "stray",
        "truncated",
        "open-cdata",
        "open-comment",
    ],
)
def test_item_spans(document: bytes, spans: list[tuple[int, int]] | None) -> None:
    assert item_spans(document) == spans
