"""Claims end to end: articles on loopback -> evidence -> claim status and events (both DBs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from monitor.claim_updates import claim_summaries, sync_and_backfill
from monitor.config_loader import load_config
from monitor.db import claims as claim_rows
from monitor.db import outbox
from monitor.db.records import FeedState
from monitor.sandbox import Sandbox
from monitor.settings import ClaimSettings, EvidenceSettings, FetchSettings, Settings
from monitor.stance import RuleStance, StanceModel
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import Item, World, article_page, loopback_settings, rss
from tests.stories import DENIAL, REPORT, SUPPORT, SUPPORT_OTHER_WORDS, TESLA

CONTACT = "musk-putin-regular-contact"
RULES = RuleStance()
BUNDLED = load_config(Path(__file__).resolve().parent.parent / "config" / "monitor.toml").settings


def watchlist_settings(fetch: FetchSettings, claims: tuple[ClaimSettings, ...]) -> Settings:
    base = loopback_settings(fetch)
    return base.model_copy(update={"entities": BUNDLED.entities, "claims": claims})


def bundled_world(
    server: LoopbackHTTPServer,
    fetch: FetchSettings,
    engine: Engine,
    pool: Sandbox,
    *,
    model: StanceModel | None = RULES,
) -> World:
    """A world watching the bundled claims and entities, synced (claims stored, backfilled).
    `model=None` judges with the product's default model instead of the rules."""
    world = World(
        server=server,
        settings=watchlist_settings(fetch, BUNDLED.claims),
        engine=engine,
        pool=pool,
        model=model,
    )
    sync(world)
    return world


@pytest.fixture
def world(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, engine: Engine, pool: Sandbox
) -> World:
    return bundled_world(http_server, fetch_settings, engine, pool)


def sync(world: World) -> int:
    with world.db.sessions.begin() as session:
        return sync_and_backfill(
            session,
            world.watchlist,
            world.settings.claims,
            world.settings.entities,
            now=world.clock_now,
        )


def publish(world: World, feed_path: str, stories: list[tuple[str, str, tuple[str, ...]]]) -> None:
    """Serve a feed whose items are (host, title, paragraphs) articles."""
    items = []
    for n, (host, title, paragraphs) in enumerate(stories):
        path = f"{feed_path}-{n}"
        world.server.route(path, body=article_page(title, paragraphs), content_type="text/html")
        items.append(Item(title, world.url(path, host)))
    world.server.route(feed_path, body=rss(items), content_type="application/rss+xml")


def contact_summary(world: World):  # type: ignore[no-untyped-def]
    with world.db.sessions() as session:
        return {c.id: c for c in claim_summaries(session, world.watchlist)}[CONTACT]


def events(world: World) -> list[tuple[str, str | None, str | None, bool]]:
    with world.db.sessions() as session:
        return [
            (e.kind, e.old_status, e.new_status, e.alert_worthy)
            for e in claim_rows.claim_events(session, CONTACT)
        ]


def followed_feed(world: World, path: str) -> FeedState:
    """A feed added and polled once while empty, so what it carries next is news, not backlog."""
    publish(world, path, [])
    feed = world.add_feed(path)
    world.poll(feed)
    return feed


def test_evidence_counts_independent_sources_and_moves_the_claim_status(world: World) -> None:
    feeds = {path: followed_feed(world, path) for path in ("/one.xml", "/two.xml", "/three.xml")}
    publish(
        world,
        "/one.xml",
        [
            ("wire-a.test", "Musk and Putin talk regularly", SUPPORT),
            ("wire-b.test", "Musk and Putin talk regularly", SUPPORT),  # a wire copy
            ("other.test", "WSJ: Musk in touch with Putin", REPORT),
            ("news.test", "Tesla deliveries fall", TESLA),
        ],
    )
    [first] = world.poll(feeds["/one.xml"])
    stances = {
        (e.claim_id, e.article_url.split("/")[2].split(":")[0], e.stance) for e in first.evidence
    }
    assert (CONTACT, "wire-a.test", "supports") in stances
    assert (CONTACT, "wire-b.test", "supports") in stances
    assert (CONTACT, "other.test", "reports") in stances
    assert not any(host == "news.test" for _, host, _ in stances)  # Tesla: unrelated, not judged
    tesla = next(a for a in first.articles if a.title == "Tesla deliveries fall")
    assert "elon-musk" in tesla.entities and "vladimir-putin" not in tesla.entities

    summary = contact_summary(world)
    assert (summary.status, summary.supports, summary.reports) == ("open", 1, 1)
    assert events(world) == [("new_supporting_source", "open", "open", True)]

    publish(world, "/two.xml", [("news.test", "Officials confirm talks", SUPPORT_OTHER_WORDS)])
    world.poll(feeds["/two.xml"])
    summary = contact_summary(world)
    assert (summary.status, summary.supports) == ("corroborated", 2)
    assert events(world)[1:] == [
        ("status_changed", "open", "corroborated", True),
        ("new_supporting_source", "open", "corroborated", True),
    ]

    publish(world, "/three.xml", [("other.test", "Kremlin: only one call", DENIAL)])
    world.poll(feeds["/three.xml"])
    summary = contact_summary(world)
    assert summary.status == "disputed"
    assert summary.refutes >= 1
    assert ("status_changed", "corroborated", "disputed", True) in events(world)


def test_a_feeds_first_poll_is_counted_but_raises_no_alert(world: World) -> None:
    """RELIABILITY rows 5 and 55: adding a feed with a backlog floods nobody."""
    publish(world, "/backlog.xml", [("wire-a.test", "Musk and Putin talk regularly", SUPPORT)])
    feed = world.add_feed("/backlog.xml")
    world.poll(feed)
    assert contact_summary(world).supports == 1
    assert events(world) == [("new_supporting_source", "open", "open", False)]
    with world.db.sessions() as session:
        assert outbox.events_after(session, 0) == []

    publish(world, "/backlog.xml", [("news.test", "Officials confirm talks", SUPPORT_OTHER_WORDS)])
    world.poll(feed)
    assert events(world)[-1][3] is True  # the second poll is news
    with world.db.sessions() as session:
        queued = [(e.kind, e.claim_id) for e in outbox.events_after(session, 0)]
    assert ("status", CONTACT) in queued
    assert ("evidence", CONTACT) in queued


@pytest.mark.parametrize(
    "pub_date", ["Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 01 Jan 2099 00:00:00 GMT"]
)
def test_a_new_item_with_a_far_date_is_news_once(world: World, pub_date: str) -> None:
    """RELIABILITY 10 and 11: an item dated 1970 or 2099 that first appears now is news: one
    alert-worthy event and one outbox event, and nothing more when it is polled again."""
    feed = followed_feed(world, "/dated.xml")
    world.server.route("/dated-0", body=article_page("Talks", SUPPORT), content_type="text/html")
    item = Item("Musk and Putin talk regularly", world.url("/dated-0"), pub_date=pub_date)
    world.server.route("/dated.xml", body=rss([item]), content_type="application/rss+xml")
    seen = []
    for _ in range(2):
        world.poll(feed)
        assert contact_summary(world).supports == 1
        assert events(world) == [("new_supporting_source", "open", "open", True)]
        with world.db.sessions() as session:
            seen.append([(e.kind, e.claim_id) for e in outbox.events_after(session, 0)])
    assert ("evidence", CONTACT) in seen[0] and seen[1] == seen[0]
    assert len(seen[0]) == len(set(seen[0]))  # one event per claim


def test_a_story_whose_guid_and_host_change_on_every_poll_alerts_once(world: World) -> None:
    """RELIABILITY 8: the same article under a new GUID, then under a new GUID on another host
    (a feed that rewrites both on every poll): one alert-worthy event for the claim, not three."""
    feed = followed_feed(world, "/churn.xml")
    for n, host in enumerate(["wire-a.test", "wire-a.test", "wire-b.test"]):
        path = f"/churn-{n}"
        world.server.route(path, body=article_page("Talks", SUPPORT), content_type="text/html")
        item = Item("Musk and Putin talk regularly", world.url(path, host), guid=f"urn:churn:{n}")
        world.server.route("/churn.xml", body=rss([item]), content_type="application/rss+xml")
        [result] = world.poll(feed)
        assert result.new_items == 1  # a new GUID is a new item
    assert contact_summary(world).supports == 1
    assert [e for e in events(world) if e[3]] == [("new_supporting_source", "open", "open", True)]


def poll_before_the_contact_claim_exists(world: World, fetch_settings: FetchSettings) -> None:
    """Store a supporting article while every claim but the contact one is configured."""
    publish(world, "/feed.xml", [("wire-a.test", "Musk and Putin", SUPPORT)])
    others = tuple(c for c in BUNDLED.claims if c.id != CONTACT and CONTACT not in c.denies)
    world.settings = watchlist_settings(fetch_settings, others)
    sync(world)
    world.poll(world.add_feed("/feed.xml"))


def test_a_new_claim_is_backfilled_without_alerts(
    world: World, fetch_settings: FetchSettings
) -> None:
    poll_before_the_contact_claim_exists(world, fetch_settings)
    with world.db.sessions() as session:
        assert claim_rows.evidence_for(session, [CONTACT]) == []

    world.settings = watchlist_settings(fetch_settings, BUNDLED.claims)
    assert sync(world) >= 1  # the article is judged against the claim added later
    with world.db.sessions() as session:
        [evidence] = claim_rows.evidence_for(session, [CONTACT])
    assert (evidence.stance, evidence.backfill) == ("supports", True)
    assert events(world) == [("new_supporting_source", "open", "open", False)]
    assert sync(world) == 0  # nothing new to backfill


def test_backfill_alerts_and_corroboration_threshold_follow_the_evidence_settings(
    world: World, fetch_settings: FetchSettings
) -> None:
    poll_before_the_contact_claim_exists(world, fetch_settings)

    asked = watchlist_settings(fetch_settings, BUNDLED.claims).model_copy(
        update={"evidence": EvidenceSettings(alert_on_backfill=True, corroborate_at=1)}
    )
    world.settings = asked
    sync(world)
    assert events(world) == [
        ("status_changed", "open", "corroborated", True),
        ("new_supporting_source", "open", "corroborated", True),
    ]
    assert contact_summary(world).status == "corroborated"
