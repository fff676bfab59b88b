"""The schedule end to end on loopback: a feed's next check follows how often it publishes."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

from monitor.db import feeds as feed_rows
from monitor.db import publishing
from monitor.domain import FeedOutcome, FeedSpec
from monitor.settings import PollingSettings
from tests.pipeline_world import OTHER_STORY, Item, World, article_page, rss

RSS = "application/rss+xml"
HTML = "text/html; charset=utf-8"
HOUR = timedelta(hours=1)


def publish_every(world: World, step: timedelta, count: int, *, ttl_minutes: int = 0) -> bytes:
    """Serve /feed.xml with `count` stories `step` apart, the newest ten minutes old."""
    newest = world.clock_now - timedelta(minutes=10)
    items = []
    for n in range(count):
        world.server.route(
            f"/story/{n}", body=article_page(f"Story {n}", OTHER_STORY), content_type=HTML
        )
        when = format_datetime(newest - n * step, usegmt=True)
        items.append(Item(f"Story {n}", world.url(f"/story/{n}"), pub_date=when))
    body = rss(items)
    if ttl_minutes:
        body = body.replace(b"<channel>", f"<channel><ttl>{ttl_minutes}</ttl>".encode())
    world.server.route("/feed.xml", body=body, content_type=RSS, etag='"v1"')
    return body


def test_a_feed_publishing_every_two_hours_is_checked_every_hour(world: World) -> None:
    publish_every(world, 2 * HOUR, 6)
    feed = world.add_feed("/feed.xml")
    [result] = world.poll(feed)
    assert (result.outcome, result.new_items) == (FeedOutcome.OK, 6)
    assert world.feed(feed.id).next_check_at == world.clock_now + HOUR

    # A later 304 keeps the rhythm learned from the stored items.
    world.clock_now += HOUR
    [again] = world.poll(feed)
    assert again.outcome is FeedOutcome.NOT_MODIFIED
    assert world.feed(feed.id).next_check_at == world.clock_now + HOUR


def test_publish_times_are_read_distinct_and_newest_first(world: World) -> None:
    publish_every(world, 2 * HOUR, 4)
    feed = world.add_feed("/feed.xml")
    world.poll(feed)
    with world.db.sessions() as session:
        times = publishing.recent_publish_times(session, feed.id, 3)
    newest = world.clock_now - timedelta(minutes=10)
    assert times == [newest, newest - 2 * HOUR, newest - 4 * HOUR]


def test_a_future_date_counts_as_when_the_item_was_first_seen(world: World) -> None:
    future = format_datetime(world.clock_now + 30 * HOUR, usegmt=True)
    world.server.route("/s", body=article_page("Soon", OTHER_STORY), content_type=HTML)
    world.server.route(
        "/feed.xml", body=rss([Item("Soon", world.url("/s"), pub_date=future)]), content_type=RSS
    )
    feed = world.add_feed("/feed.xml")
    world.poll(feed)
    with world.db.sessions() as session:
        assert publishing.recent_publish_times(session, feed.id, 5) == [world.clock_now]


def test_too_little_history_uses_the_configured_interval(world: World) -> None:
    publish_every(world, 2 * HOUR, 2)
    feed = world.add_feed("/feed.xml")
    world.poll(feed)
    assert world.feed(feed.id).next_check_at == world.clock_now + timedelta(minutes=30)


def test_a_feed_of_its_own_interval_is_not_adapted(world: World) -> None:
    publish_every(world, 2 * HOUR, 6)
    with world.db.sessions.begin() as session:
        spec = FeedSpec(world.url("/feed.xml"), interval_s=900)
        feed = feed_rows.add_feed(session, spec, source="cli", now=world.clock_now)
    world.poll(feed)
    assert world.feed(feed.id).next_check_at == world.clock_now + timedelta(minutes=15)


def test_adaptation_can_be_switched_off(world: World) -> None:
    polling = PollingSettings(adaptive=False, interval=1200.0)
    world.settings = world.settings.model_copy(update={"polling": polling})
    publish_every(world, 2 * HOUR, 6)
    feed = world.add_feed("/feed.xml")
    world.poll(feed)
    assert world.feed(feed.id).next_check_at == world.clock_now + timedelta(minutes=20)


def test_ttl_is_a_floor_over_the_adapted_interval(world: World) -> None:
    publish_every(world, 2 * HOUR, 6, ttl_minutes=180)
    feed = world.add_feed("/feed.xml")
    world.poll(feed)
    assert world.feed(feed.id).next_check_at == world.clock_now + 3 * HOUR


def test_failures_back_off_from_the_rhythm_and_recovery_returns_to_it(world: World) -> None:
    body = publish_every(world, 2 * HOUR, 6)
    feed = world.add_feed("/feed.xml")
    world.poll(feed)

    world.server.route("/feed.xml", status=500, body=b"down", content_type="text/plain")
    waits = []
    for _ in range(8):
        # Minutes apart, so the feed's own silence (which also slows it) stays short.
        world.clock_now += timedelta(minutes=1)
        [failed] = world.poll(feed)
        assert failed.outcome is FeedOutcome.ERROR
        state = world.feed(feed.id)
        assert state.active  # never stopped for good
        waits.append(state.next_check_at - world.clock_now)
    assert waits == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR] + [24 * HOUR] * 3

    world.server.route("/feed.xml", body=body, content_type=RSS)
    world.clock_now += timedelta(minutes=1)
    [recovered] = world.poll(feed)
    assert recovered.outcome is FeedOutcome.UNCHANGED
    state = world.feed(feed.id)
    assert state.consecutive_failures == 0
    assert state.next_check_at == world.clock_now + HOUR
