"""Feed-health events: one when a feed starts failing, one when it recovers (digests' section)."""

from __future__ import annotations

from monitor.db import feeds as feed_rows
from monitor.db import outbox
from monitor.domain import FeedSpec
from tests.pipeline_world import World, rss


def queued(world: World) -> list[tuple[str, dict[str, object]]]:
    with world.db.sessions() as session:
        return [(e.kind, dict(e.payload)) for e in outbox.events_after(session, 0)]


def test_a_feed_is_reported_once_when_it_starts_failing_and_once_when_it_recovers(
    world: World,
) -> None:
    world.server.route("/feed.xml", status=500, body=b"down")
    feed = world.add_feed("/feed.xml")
    for _ in range(2):
        world.poll(feed)
    assert queued(world) == []  # two failures: not yet (delivery.feed_failing_after = 3)
    for _ in range(3):
        world.poll(feed)
    [(kind, payload)] = queued(world)  # the 3rd failure, once; not the 4th or 5th
    assert kind == "feed_failing"
    assert payload["failures"] == 3 and "500" in str(payload["error"])
    world.server.route("/feed.xml", body=rss([]), content_type="application/rss+xml")
    world.poll(feed)
    world.poll(feed)
    assert [kind for kind, _ in queued(world)] == ["feed_failing", "feed_recovered"]


def test_feed_credentials_never_reach_the_outbox(world: World) -> None:
    world.server.route("/private.xml", status=500, body=b"down")
    secret_url = world.url("/private.xml").replace("http://", "http://reader:s3cret-pw@")
    with world.db.sessions.begin() as session:
        feed = feed_rows.add_feed(session, FeedSpec(secret_url), source="cli", now=world.clock_now)
    for _ in range(3):
        world.poll(feed)
    [(_, payload)] = queued(world)
    assert "s3cret-pw" not in str(payload)
