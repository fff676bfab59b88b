"""Entry identity, links and dates (RELIABILITY rows 6, 7, 9-11)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from monitor.domain import FeedEntry
from monitor.parse import parse_feed

URL = "https://news.example.com/section/feed.xml"


def rss(*items: str, channel: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"{channel}{''.join(f'<item>{item}</item>' for item in items)}</channel></rss>"
    ).encode()


def entries(body: bytes, **kwargs: int) -> tuple[FeedEntry, ...]:
    return parse_feed(body, url=URL, **kwargs).entries


DUPLICATES = [
    "<guid>g</guid><link>https://news.example.com/a</link><title>A</title>",
    "<guid>g</guid><link>https://news.example.com/b</link><title>B</title>",
    "<guid>h</guid><link>https://news.example.com/c</link><title>C</title>",
    "<guid>k</guid><link>https://news.example.com/d</link><title>D</title>",
    "<guid>k</guid><link>https://news.example.com/d</link><title>D again</title>",
]


def test_duplicate_guids_get_distinct_keys() -> None:
    keys = [e.key for e in entries(rss(*DUPLICATES))]
    assert keys[:3] == ["g|https://news.example.com/a", "g|https://news.example.com/b", "h"]
    # Same guid and link: a hash of title and summary tells them apart, whatever their order.
    assert keys[3].startswith("k|https://news.example.com/d|")
    assert keys[4].startswith("k|https://news.example.com/d|")
    assert keys[3] != keys[4]
    reordered = [e.key for e in entries(rss(*DUPLICATES[::-1]))]
    assert sorted(reordered) == sorted(keys)


def test_fully_identical_duplicates_fall_back_to_position() -> None:
    same = "<guid>k</guid><link>https://news.example.com/d</link><title>D</title>"
    keys = [e.key for e in entries(rss(same, same))]
    assert len(set(keys)) == 2
    assert keys[0].endswith("|0") and keys[1].endswith("|1")


def test_keys_are_stable_for_the_same_feed_and_a_reordered_copy() -> None:
    first = {e.title: e.key for e in entries(rss(*DUPLICATES[:3]))}
    again = {e.title: e.key for e in entries(rss(*DUPLICATES[:3]))}
    reordered = {e.title: e.key for e in entries(rss(*reversed(DUPLICATES[:3])))}
    assert first == again == reordered
    assert len(set(first.values())) == 3


@pytest.mark.parametrize(
    ("item", "key", "link"),
    [
        ("<guid isPermaLink='false'>id-1</guid><title>t</title>", "id-1", None),
        (
            "<link>https://news.example.com/x?utm_source=rss&amp;id=3</link><title>t</title>",
            "https://news.example.com/x?id=3",
            "https://news.example.com/x?id=3",
        ),
        (
            "<guid>https://news.example.com/p/1</guid><title>t</title>",  # permalink guid
            "https://news.example.com/p/1",
            "https://news.example.com/p/1",
        ),
        (
            "<link>../story/9</link><title>t</title>",
            "https://news.example.com/story/9",
            "https://news.example.com/story/9",
        ),
        (
            "<title>Only a title</title><description>and a summary</description>",
            "sha256:" + hashlib.sha256(b"Only a title\nand a summary").hexdigest(),
            None,
        ),
    ],
    ids=["guid", "link", "permalink-guid", "relative-link", "hash"],
)
def test_key_falls_back_from_guid_to_link_to_content_hash(
    item: str, key: str, link: str | None
) -> None:
    (entry,) = entries(rss(item))
    assert entry.key == key
    assert entry.link == link


def test_content_hash_key_changes_with_the_content() -> None:
    (a,) = entries(rss("<title>One</title>"))
    (b,) = entries(rss("<title>Two</title>"))
    assert a.key != b.key


def test_entries_without_any_identity_are_skipped_and_counted() -> None:
    feed = parse_feed(
        rss(
            "<title>kept</title>",
            "<author>nobody</author>",
            "<description>   </description>",
            "<link>javascript:alert(1)</link>",
        ),
        url=URL,
    )
    assert [e.title for e in feed.entries] == ["kept"]
    assert feed.total_entries == 4
    assert feed.warning == "skipped 3 entries with no id, link, title or summary"


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "ftp://news.example.com/x",
        "http://",
        "https://[::1",
    ],
)
def test_non_http_links_are_dropped(href: str) -> None:
    (entry,) = entries(rss(f"<title>t</title><link><![CDATA[{href}]]></link>"))
    assert entry.link is None


def test_atom_link_relative_to_the_feed_url() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        b'<entry><id>tag:x,2024:1</id><title>t</title><link href="/2024/one"/>'
        b"<updated>2024-03-01T12:00:00+02:00</updated></entry></feed>"
    )
    (entry,) = entries(body)
    assert entry.link == "https://news.example.com/2024/one"
    assert entry.key == "tag:x,2024:1"
    assert entry.updated == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert entry.published is None


@pytest.mark.parametrize(
    ("pub_date", "expected"),
    [
        ("Tue, 05 Mar 2024 14:30:00 GMT", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 14:30:00 +0530", datetime(2024, 3, 5, 9, 0, tzinfo=UTC)),
        ("2024-03-05T14:30:00Z", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("Thu, 31 Dec 2099 23:59:59 GMT", datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("Thu, 01 Jan 1970 00:00:00 GMT", datetime(1970, 1, 1, tzinfo=UTC)),
        ("yesterday-ish", None),
        ("", None),
        ("Mon, 99 Foo 20245 99:99:99 GMT", None),
        ("0000-00-00T00:00:00Z", None),
        ("9999-12-31T23:59:59-05:00", None),  # past year 9999 once in UTC
        ("Tue, 32 Mar 2024 14:30:00 GMT", None),
    ],
)
def test_dates_are_aware_utc_or_none(pub_date: str, expected: datetime | None) -> None:
    (entry,) = entries(rss(f"<title>t</title><pubDate>{pub_date}</pubDate>"))
    assert entry.published == expected
    assert entry.published is None or entry.published.tzinfo == UTC


@pytest.mark.parametrize(("ttl", "minutes"), [("60", 60), (" 15 ", 15), ("-5", None), ("x", None)])
def test_ttl_from_rss(ttl: str, minutes: int | None) -> None:
    feed = parse_feed(rss("<title>t</title>", channel=f"<ttl>{ttl}</ttl>"), url=URL)
    assert feed.ttl_minutes == minutes


def test_only_the_newest_entries_are_kept_in_feed_order() -> None:
    days = [3, 9, 1, 7, 5, 8]
    items = [
        f"<guid>d{day}</guid><title>day {day}</title>"
        f"<pubDate>{day:02d} Jan 2024 00:00:00 GMT</pubDate>"
        for day in days
    ]
    feed = parse_feed(rss(*items), url=URL, max_items=3)
    assert [e.key for e in feed.entries] == ["d9", "d7", "d8"]
    assert feed.total_entries == 6


def test_undated_entries_are_kept_before_dated_ones() -> None:
    items = [
        "<guid>old</guid><title>old</title><pubDate>01 Jan 2020 00:00:00 GMT</pubDate>",
        "<guid>undated</guid><title>undated</title>",
        "<guid>new</guid><title>new</title><pubDate>01 Jan 2024 00:00:00 GMT</pubDate>",
    ]
    feed = parse_feed(rss(*items), url=URL, max_items=2)
    assert [e.key for e in feed.entries] == ["undated", "new"]


def test_without_dates_the_first_entries_in_feed_order_are_kept() -> None:
    feed = parse_feed(rss(*(f"<guid>{i}</guid>" for i in range(10))), url=URL, max_items=4)
    assert [e.key for e in feed.entries] == ["0", "1", "2", "3"]
    assert feed.total_entries == 10
