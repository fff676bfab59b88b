"""The pipeline end to end on loopback: feed -> pages -> stored articles, SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.db import articles as article_rows
from monitor.db import items as item_rows
from monitor.domain import FeedOutcome, ItemOutcome
from monitor.settings import ExtractSettings, FetchSettings, ParseSettings
from tests.pipeline_world import (
    OTHER_STORY,
    PARAGRAPHS,
    Item,
    World,
    article_page,
    loopback_settings,
    rss,
)

RSS = "application/rss+xml"
HTML = "text/html; charset=utf-8"


def counts(world: World, feed_id: int | None = None) -> tuple[int, int]:
    with world.db.sessions() as session:
        return article_rows.count_articles(session), item_rows.count_items(session, feed_id)


def serve_story(world: World, path: str, title: str, paragraphs=PARAGRAPHS) -> None:  # type: ignore[no-untyped-def]
    world.server.route(path, body=article_page(title, paragraphs), content_type=HTML)


def test_first_poll_stores_articles_then_304_then_unchanged(world: World) -> None:
    for n in range(3):
        serve_story(world, f"/story/{n}", f"Story {n}", PARAGRAPHS[n:] + OTHER_STORY[:n])
    items = [Item(f"Story {n}", world.url(f"/story/{n}?utm_source=rss")) for n in range(3)]
    world.server.route("/feed.xml", body=rss(items), content_type=RSS, etag='"v1"')
    feed = world.add_feed("/feed.xml")

    [first] = world.poll(feed)
    assert first.outcome is FeedOutcome.OK
    assert first.new_items == 3
    assert [a.outcome for a in first.articles] == [ItemOutcome.STORED] * 3
    assert {a.url for a in first.articles} == {world.url(f"/story/{n}") for n in range(3)}
    assert counts(world) == (3, 3)
    state = world.feed(feed.id)
    assert state.etag == '"v1"'
    assert state.last_success_at == world.clock_now
    assert state.next_check_at == world.clock_now + timedelta(seconds=1800)

    world.clock_now += timedelta(minutes=30)
    [second] = world.poll(feed)
    assert second.outcome is FeedOutcome.NOT_MODIFIED
    assert world.server.requests_to("/feed.xml")[-1].header("if-none-match") == '"v1"'
    state = world.feed(feed.id)  # a 304 is a success: the next check moves on, validators stay
    assert (state.last_success_at, state.etag) == (world.clock_now, '"v1"')
    assert state.next_check_at == world.clock_now + timedelta(seconds=1800)

    # Same bytes without validators: not parsed again, nothing new.
    world.server.route("/feed.xml", body=rss(items), content_type=RSS)
    [third] = world.poll(feed)
    assert third.outcome is FeedOutcome.UNCHANGED
    assert counts(world) == (3, 3)
    assert len(world.server.requests_to("/story/0")) == 1


def test_article_reached_through_two_feeds_is_stored_once(world: World) -> None:
    serve_story(world, "/story", "Shared story")
    world.server.route(
        "/a.xml", body=rss([Item("Shared", world.url("/story?fbclid=1"))]), content_type=RSS
    )
    world.server.route(
        "/b.xml", body=rss([Item("Shared", world.url("/story#top"))]), content_type=RSS
    )
    feed_a, feed_b = world.add_feed("/a.xml"), world.add_feed("/b.xml")

    results = world.poll(feed_a)
    results += world.poll(feed_b)
    assert [r.new_items for r in results] == [1, 1]
    assert counts(world) == (1, 2)
    assert len(world.server.requests_to("/story")) == 1


def test_wire_copies_from_two_publishers_join_one_cluster(world: World) -> None:
    serve_story(world, "/original", "Musk and Putin in regular contact, WSJ says")
    serve_story(world, "/copy", "Report: Musk has talked with Putin since 2022")
    world.server.route("/other", body=article_page("Tesla misses", OTHER_STORY), content_type=HTML)
    world.server.route(
        "/wire.xml",
        body=rss(
            [
                Item("Original", world.url("/original", "wire-a.test")),
                Item("Copy", world.url("/copy", "wire-b.test")),
                Item("Other", world.url("/other", "other.test")),
            ]
        ),
        content_type=RSS,
    )
    [result] = world.poll(world.add_feed("/wire.xml"))

    by_title = {a.title: a for a in result.articles}
    original = by_title["Musk and Putin in regular contact, WSJ says"]
    copy = by_title["Report: Musk has talked with Putin since 2022"]
    other = by_title["Tesla misses"]
    assert original.cluster_id is not None
    assert copy.cluster_id == original.cluster_id
    assert other.cluster_id != original.cluster_id
    with world.db.sessions() as session:
        publishers = article_rows.cluster_publishers(session, original.cluster_id)
    assert publishers == ["wire-a.test", "wire-b.test"]


def test_broken_and_empty_feeds_fail_clearly_and_keep_what_was_stored(world: World) -> None:
    serve_story(world, "/story", "A story")
    good = rss([Item("A story", world.url("/story"))])
    world.server.route("/feed.xml", body=good, content_type=RSS)
    feed = world.add_feed("/feed.xml")
    world.poll(feed)
    assert counts(world) == (1, 1)

    world.server.route(
        "/feed.xml", body="<html><body><p>Hello</p></body></html>", content_type=HTML
    )
    [html_result] = world.poll(feed)
    assert html_result.outcome is FeedOutcome.ERROR
    assert html_result.error is not None and "HTML page, not a feed" in html_result.error

    world.server.route("/feed.xml", body=b"", content_type=RSS)
    [empty] = world.poll(feed)
    assert empty.outcome is FeedOutcome.ERROR
    assert empty.error is not None and "empty response" in empty.error

    state = world.feed(feed.id)
    assert state.consecutive_failures == 2
    assert state.next_check_at == world.clock_now + timedelta(seconds=3600)  # backed off
    assert counts(world) == (1, 1)  # nothing lost, nothing pruned

    world.server.route("/feed.xml", body=good, content_type=RSS)
    [recovered] = world.poll(feed)
    assert recovered.outcome is FeedOutcome.UNCHANGED  # same bytes as the last good poll
    state = world.feed(feed.id)
    assert (state.consecutive_failures, state.last_error) == (0, None)


def test_malformed_feed_with_recoverable_entries_is_degraded(world: World) -> None:
    serve_story(world, "/story", "A story")
    body = rss([Item("Fish & chips", world.url("/story"))]).replace(b"&amp;", b"&")
    world.server.route("/feed.xml", body=body.replace(b"</channel></rss>", b""), content_type=RSS)
    [result] = world.poll(world.add_feed("/feed.xml"))
    assert result.outcome is FeedOutcome.DEGRADED
    assert result.warning
    assert result.new_items == 1


def test_a_feed_over_the_item_cap_keeps_its_newest_items_and_logs_the_cut(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.settings = world.settings.model_copy(
        update={"parse": ParseSettings(deadline=10.0, items_per_poll=3)}
    )
    items = []
    for day in (3, 7, 1, 5, 2, 6, 4):  # not in date order
        serve_story(world, f"/s{day}", f"Story {day}")
        items.append(Item(f"Story {day}", world.url(f"/s{day}"), pub_date=f"0{day} Oct 2024"))
    world.server.route("/feed.xml", body=rss(items), content_type=RSS)
    caplog.set_level(logging.INFO, logger="monitor.pipeline")
    [result] = world.poll(world.add_feed("/feed.xml"))
    assert (result.outcome, result.new_items) == (FeedOutcome.OK, 3)
    assert sorted(a.title or "" for a in result.articles) == ["Story 5", "Story 6", "Story 7"]
    [record] = [r for r in caplog.records if r.getMessage().startswith("feed truncated")]
    assert "entries=7 kept=3" in record.getMessage() and "news.test" in record.getMessage()


def test_a_broken_copy_of_a_known_feed_leaves_its_items_alone(world: World) -> None:
    """RELIABILITY 1: the same feed served malformed (unclosed, a bare &) after a good poll:
    degraded, nothing stored twice, nothing new to judge or alert on; and unreadable: an error,
    with the items kept."""
    for n in range(2):
        serve_story(world, f"/story/{n}", f"Story {n}")
    items = [Item(f"Story {n} & more", world.url(f"/story/{n}")) for n in range(2)]
    world.server.route("/feed.xml", body=rss(items), content_type=RSS)
    feed = world.add_feed("/feed.xml")
    assert world.poll(feed)[0].new_items == 2
    broken = rss(items).replace(b"&amp;", b"&").replace(b"</channel></rss>", b"")
    world.server.route("/feed.xml", body=broken, content_type=RSS)
    [result] = world.poll(feed)
    assert (result.outcome, result.new_items, result.evidence) == (FeedOutcome.DEGRADED, 0, ())
    assert result.warning and counts(world, feed.id) == (2, 2)
    world.server.route("/feed.xml", body=b"<rss><channel><item><title>x", content_type=RSS)
    [failed] = world.poll(feed)
    assert failed.outcome is FeedOutcome.ERROR and counts(world, feed.id) == (2, 2)


def test_an_article_whose_extraction_times_out_is_an_item_error_and_the_feed_succeeds(
    world: World,
) -> None:
    """RELIABILITY 42: 2 MB of distinct paragraphs takes trafilatura about 6 s on a Zen 1 EPYC;
    with a 0.3 s extraction deadline its child is killed, the item is recorded with the reason,
    and the poll goes on."""
    world.settings = world.settings.model_copy(
        update={"extract": ExtractSettings(deadline=0.3, workers=1)}
    )
    paragraphs = [
        f"Talks on point {n} will continue next week in Geneva, the minister said."
        for n in range(25_000)
    ]
    world.server.route("/long", body=article_page("Long", paragraphs), content_type=HTML)
    world.server.route("/feed.xml", body=rss([Item("Long", world.url("/long"))]), content_type=RSS)
    feed = world.add_feed("/feed.xml")
    [result] = world.poll(feed)
    assert (result.outcome, result.new_items) == (FeedOutcome.OK, 1)
    [article] = result.articles
    assert article.outcome is ItemOutcome.ERROR
    assert article.error == "extraction failed: timed out after 0.3 s"
    assert counts(world, feed.id) == (0, 1)  # recorded, so the next poll does not fetch it again
    assert world.poll(feed)[0].new_items == 0 and len(world.server.requests_to("/long")) == 1


def test_a_feed_that_trickles_holds_up_no_other_feed(world: World) -> None:
    """RELIABILITY 26: one feed sends a byte every 50 ms (its 2 s deadline ends it); another
    feed and its article are read in the meantime, not after."""
    world.server.route("/slow.xml", body=b"<rss>" + b" " * 1000, content_type=RSS, trickle=20)
    serve_story(world, "/fast-story", "Fast")
    fast_items = [Item("Fast", world.url("/fast-story"))]
    world.server.route("/fast.xml", body=rss(fast_items), content_type=RSS)
    slow, fast = world.add_feed("/slow.xml", host="other.test"), world.add_feed("/fast.xml")
    slow_result, fast_result = world.poll(slow, fast)
    assert slow_result.outcome is FeedOutcome.ERROR and "timed out" in (slow_result.error or "")
    assert (fast_result.outcome, fast_result.new_items) == (FeedOutcome.OK, 1)
    [began] = world.server.requests_to("/slow.xml")
    [story] = world.server.requests_to("/fast-story")
    # read while the slow feed was still trickling, before its deadline ended it
    assert story.time - began.time < world.settings.fetch.feed_deadline


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_an_article_page_over_the_size_cap_is_an_item_error(world: World, declared: bool) -> None:
    """RELIABILITY 41: a 6 MiB page against the 5 MiB page cap, declared up front or not."""
    size = 6 * 1024**2
    if declared:
        world.server.route("/huge", body=b"<p>" + b"x" * size, content_type=HTML)
    else:
        world.server.route("/huge", size=size, content_type=HTML)
    world.server.route("/feed.xml", body=rss([Item("Huge", world.url("/huge"))]), content_type=RSS)
    [result] = world.poll(world.add_feed("/feed.xml"))
    assert result.outcome is FeedOutcome.OK
    [article] = result.articles
    assert article.outcome is ItemOutcome.ERROR
    assert article.error == "response too large (> 5 MiB)"


def test_only_the_feeds_listed_in_strip_dtd_are_read_despite_their_entities(
    world: World,
) -> None:
    body = (Path(__file__).parent / "feeds" / "legit_entity_declaration.rss.xml").read_bytes()
    for path in ("/listed.xml", "/other.xml"):
        world.server.route(path, body=body, content_type=RSS)
    listed, other = world.add_feed("/listed.xml"), world.add_feed("/other.xml")
    world.settings = world.settings.model_copy(
        update={"parse": ParseSettings(deadline=10.0, strip_dtd=(listed.url,))}
    )
    read, refused = world.poll(listed, other)
    assert (read.outcome, read.new_items) == (FeedOutcome.DEGRADED, 1)
    assert refused.outcome is FeedOutcome.ERROR
    assert refused.error is not None and "[parse] strip_dtd" in refused.error


def test_retry_after_defers_the_feed(world: World) -> None:
    world.server.route("/feed.xml", status=429, retry_after="3600", body="slow down")
    feed = world.add_feed("/feed.xml")
    [result] = world.poll(feed)
    assert result.outcome is FeedOutcome.ERROR
    assert world.feed(feed.id).next_check_at >= world.clock_now + timedelta(seconds=3600)


def test_bad_article_links_are_recorded_and_the_feed_still_succeeds(world: World) -> None:
    serve_story(world, "/good", "Good story")
    world.server.route("/paper.pdf", body=b"%PDF-1.7 ...", content_type="application/pdf")
    world.server.route("/gone", status=404, body="no")
    world.server.route("/empty", body=article_page("Nothing", []), content_type=HTML)
    blocked = world.url("/x").replace("news.test", "127.0.0.2")
    items = [
        Item("Good", world.url("/good")),
        Item("PDF", world.url("/paper.pdf")),
        Item("Gone", world.url("/gone")),
        Item("Internal", blocked),
        Item("Empty", world.url("/empty")),
        Item("No link", "javascript:alert(1)", guid="no-link"),
    ]
    world.server.route("/feed.xml", body=rss(items), content_type=RSS)
    feed = world.add_feed("/feed.xml")
    [result] = world.poll(feed)

    assert result.outcome is FeedOutcome.OK
    outcomes = {a.title: (a.outcome, a.error or "") for a in result.articles}
    assert outcomes["Good story"][0] is ItemOutcome.STORED
    assert outcomes["PDF"][0] is ItemOutcome.SKIPPED and "not an HTML page" in outcomes["PDF"][1]
    assert outcomes["Gone"][0] is ItemOutcome.ERROR and "404" in outcomes["Gone"][1]
    assert outcomes["Internal"][0] is ItemOutcome.SKIPPED
    assert "non-public address" in outcomes["Internal"][1]
    assert outcomes["Nothing"][0] is ItemOutcome.NO_TEXT
    assert outcomes["No link"][0] is ItemOutcome.SKIPPED
    assert len(world.server.requests_to("/paper.pdf")) == 1
    # Every item is remembered: a second full poll finds nothing new and fetches nothing.
    world.server.route("/feed.xml", body=rss(items[::-1]), content_type=RSS)
    [again] = world.poll(feed)
    assert again.new_items == 0


def test_transient_article_failure_is_retried_on_the_next_poll(world: World) -> None:
    world.server.route("/slow", delay=5.0, body="late", content_type=HTML)  # past the deadline
    world.server.route(
        "/feed.xml", body=rss([Item("Slow", world.url("/slow"))]), content_type=RSS, etag='"e"'
    )
    feed = world.add_feed("/feed.xml")
    [first] = world.poll(feed)
    assert first.outcome is FeedOutcome.OK
    assert first.articles[0].outcome is ItemOutcome.ERROR
    assert "timed out" in (first.articles[0].error or "")
    assert counts(world, feed.id) == (0, 0)  # not marked as seen

    serve_story(world, "/slow", "Slow story")
    [second] = world.poll(feed)
    assert world.server.requests_to("/feed.xml")[-1].header("if-none-match") is None
    assert second.new_items == 1 and second.articles[0].outcome is ItemOutcome.STORED
    assert counts(world, feed.id) == (1, 1)


def test_a_failure_while_storing_rolls_back_the_whole_feed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        serve_story(world, f"/s{n}", f"Story {n}", PARAGRAPHS[n:] + OTHER_STORY[:n])
    world.server.route(
        "/feed.xml",
        body=rss([Item(f"S{n}", world.url(f"/s{n}")) for n in range(3)]),
        content_type=RSS,
    )
    feed = world.add_feed("/feed.xml")
    real_insert = item_rows.insert_item
    calls = []

    def failing_insert(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(item_rows, "insert_item", failing_insert)
    [broken] = world.poll(feed)
    assert broken.outcome is FeedOutcome.ERROR
    assert "disk on fire" in (broken.error or "")
    assert counts(world, feed.id) == (0, 0)  # no half-written poll
    assert world.feed(feed.id).consecutive_failures == 1

    monkeypatch.setattr(item_rows, "insert_item", real_insert)
    [fixed] = world.poll(feed)
    assert fixed.new_items == 3
    assert counts(world, feed.id) == (3, 3)


def test_one_failing_feed_does_not_stop_the_others(world: World) -> None:
    serve_story(world, "/story", "A story")
    world.server.route("/down.xml", status=500, body="oops")
    world.server.route(
        "/up.xml", body=rss([Item("A story", world.url("/story"))]), content_type=RSS
    )
    down, up = world.add_feed("/down.xml"), world.add_feed("/up.xml")
    results = world.poll(down, up)
    assert [r.outcome for r in results] == [FeedOutcome.ERROR, FeedOutcome.OK]
    assert "500" in (results[0].error or "")
    assert results[1].new_items == 1


def test_duplicate_guids_and_reordering_never_duplicate_items(world: World) -> None:
    items = [
        Item("First", "", guid="same"),
        Item("Second", "", guid="same"),
        Item("Third", "", guid="other"),
    ]
    world.server.route("/feed.xml", body=rss(items), content_type=RSS)
    feed = world.add_feed("/feed.xml")
    [first] = world.poll(feed)
    assert first.new_items == 3
    world.server.route("/feed.xml", body=rss(items[::-1]), content_type=RSS)
    [second] = world.poll(feed)
    assert second.new_items == 0
    assert counts(world, feed.id) == (0, 3)


def test_huge_feed_processes_only_the_newest_items(
    world: World, fetch_settings: FetchSettings
) -> None:
    world.settings = loopback_settings(fetch_settings, items_per_poll=25)
    items = [
        Item(
            f"Item {n}",
            "",
            guid=f"g{n}",
            pub_date=f"Thu, 24 Oct 2024 {n // 60 % 24:02d}:{n % 60:02d}:00 GMT",
        )
        for n in range(10_000)
    ]
    world.server.route("/feed.xml", body=rss(items), content_type=RSS)
    [result] = world.poll(world.add_feed("/feed.xml"))
    assert result.outcome is FeedOutcome.OK
    assert result.new_items == 25
