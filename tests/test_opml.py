"""OPML import/export: round trip, nesting, hostile documents."""

import pytest

from monitor.domain import FeedSpec
from monitor.opml import OPMLError, read_opml, write_opml


def test_round_trip_keeps_urls_and_names() -> None:
    feeds = [FeedSpec("https://a.example/feed", "A & <B>"), FeedSpec("http://b.example/rss")]
    specs, warnings = read_opml(write_opml(feeds))
    assert warnings == []
    assert [(s.url, s.name) for s in specs] == [
        ("https://a.example/feed", "A & <B>"),
        ("http://b.example/rss", "http://b.example/rss"),
    ]


def test_nested_folders_duplicates_and_unsafe_urls() -> None:
    doc = b"""<?xml version="1.0"?>
    <opml version="1.0"><head/><body>
      <outline text="News">
        <outline text="One" xmlUrl="https://one.example/rss"/>
        <outline text="Dup" xmlUrl="https://one.example/rss"/>
        <outline text="Local" xmlUrl="file:///etc/passwd"/>
        <outline text="Trick" xmlUrl="http://127.0.0.1:8888\\@example.com/"/>
      </outline>
      <outline text="Two" title="Two!" xmlUrl="https://two.example/atom"/>
    </body></opml>"""
    specs, warnings = read_opml(doc)
    assert [s.url for s in specs] == ["https://one.example/rss", "https://two.example/atom"]
    assert specs[1].name == "Two!"
    assert len(warnings) == 2
    assert "file" in warnings[0] and "backslash" in warnings[1]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b"<html><body>hi</body></html>", "root element is <html>"),
        (b"not xml at all", "not valid OPML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<opml><body><outline xmlUrl="https://a.example/&x;"/></body></opml>',
            "refused",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><opml>&lol2;</opml>',
            "refused",
        ),
    ],
)
def test_bad_documents_are_refused_with_a_reason(doc: bytes, message: str) -> None:
    with pytest.raises(OPMLError, match=message):
        read_opml(doc)
