"""The board's JSON API over a database filled by the real pipeline (loopback feeds), both DBs.

`board` (module-scoped, one database per backend) is shared with the HTML and browser tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from monitor.board import create_app
from monitor.board_settings import BoardSettings
from monitor.db import articles as article_rows
from monitor.db import claims as claim_rows
from monitor.db.records import NewArticle, NewEvidence
from monitor.sandbox import Sandbox
from monitor.settings import FetchSettings, Settings
from tests.fixtures_db import BACKENDS, empty_tables
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import Item, World, article_page, rss
from tests.stories import DENIAL, REPORT, SUPPORT, SUPPORT_OTHER_WORDS, TESLA
from tests.test_claims_pipeline import BUNDLED, CONTACT, sync, watchlist_settings

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_URL = "javascript:alert(1)"
Story = tuple[str, str, tuple[str, ...], str]  # host, title, paragraphs, RSS pubDate


@dataclass
class Board:
    world: World
    settings: Settings

    def app(self, token: str | None = None, page_size: int = 50) -> FastAPI:
        board = BoardSettings(
            token=None if token is None else SecretStr(token), page_size=page_size
        )
        settings = self.settings.model_copy(update={"board": board})
        return create_app(settings, self.world.db.sessions, self.world.watchlist)

    def client(self, **options: Any) -> TestClient:
        return TestClient(self.app(**options))


def publish(world: World, feed_path: str, stories: list[Story]) -> None:
    items = []
    for n, (host, title, paragraphs, pub_date) in enumerate(stories):
        path = f"{feed_path}-{n}"
        world.server.route(path, body=article_page(title, paragraphs), content_type="text/html")
        items.append(Item(title, world.url(path, host), pub_date=pub_date))
    world.server.route(feed_path, body=rss(items), content_type="application/rss+xml")


def add_hostile_evidence(world: World) -> None:
    """An article whose URL is a javascript: link, reporting the contact claim."""
    with world.db.sessions.begin() as session:
        article_id, _ = article_rows.insert_article(
            session,
            NewArticle(
                url=HOSTILE_URL,
                title=HOSTILE_TITLE,
                author=None,
                publisher="evil.test",
                site_name=None,
                language="en",
                published_at=datetime(2024, 10, 28, 9, tzinfo=UTC),
                fetched_at=world.clock_now,
                text_status="no_text",
                text="",
                content_sha256=None,
                fingerprint=0,
                bands=(0, 0, 0, 0),
            ),
            cluster_id=None,
        )
        claim_rows.record_mentions(session, article_id, {"elon-musk": 1})
        claim_rows.insert_evidence(
            session,
            NewEvidence(
                claim_id=CONTACT,
                article_id=article_id,
                stance="reports",
                confidence=0.5,
                quote=f"{HOSTILE_TITLE} <a href='{HOSTILE_URL}'>x</a>",
                model_version="test",
                claim_text_sha256=claim_rows.claim_text_sha256(
                    world.watchlist.claims[CONTACT].text
                ),
                backfill=False,
                judged_at=world.clock_now,
            ),
        )


def fill(world: World) -> None:
    """Three feeds polled by the real pipeline: support (plus a wire copy), a report, an
    unrelated article with a hostile title, a second support, then a denial."""
    sync(world)
    feeds = {}
    for path in ("/one.xml", "/two.xml", "/three.xml"):
        publish(world, path, [])
        feeds[path] = world.add_feed(path)
        world.poll(feeds[path])
    oct24, oct25 = "Thu, 24 Oct 2024 10:00:00 GMT", "Fri, 25 Oct 2024 10:00:00 GMT"
    publish(
        world,
        "/one.xml",
        [
            ("wire-a.test", "Musk and Putin talk regularly", SUPPORT, oct24),
            ("wire-b.test", "Musk and Putin talk regularly", SUPPORT, oct24),
            ("other.test", "WSJ: Musk in touch with Putin", REPORT, oct25),
            ("news.test", HOSTILE_TITLE, TESLA, oct25),
        ],
    )
    world.poll(feeds["/one.xml"])
    publish(
        world,
        "/two.xml",
        [
            (
                "news.test",
                "Officials confirm talks",
                SUPPORT_OTHER_WORDS,
                "Sat, 26 Oct 2024 10:00:00 GMT",
            )
        ],
    )
    world.poll(feeds["/two.xml"])
    publish(
        world,
        "/three.xml",
        [("other.test", "Kremlin: only one call", DENIAL, "Sun, 27 Oct 2024 10:00:00 GMT")],
    )
    world.poll(feeds["/three.xml"])
    add_hostile_evidence(world)


@pytest.fixture(scope="module", params=BACKENDS)
def board(request: pytest.FixtureRequest) -> Iterator[Board]:
    """A database filled once per backend for the module's tests."""
    name = "migrated_sqlite_engine" if request.param == "sqlite" else "migrated_postgres_engine"
    engine: Engine = request.getfixturevalue(name)
    empty_tables(engine)
    fetch = FetchSettings(
        allow_private=("127.0.0.1/32",),
        connect_timeout=2.0,
        read_timeout=2.0,
        feed_deadline=2.0,
        page_deadline=2.0,
        per_host_spacing=0,
    )
    server = LoopbackHTTPServer().start()
    try:
        with Sandbox(
            workers=1, memory_limit=1024**3, preload=("monitor.parse", "monitor.extract")
        ) as pool:
            settings = watchlist_settings(fetch, BUNDLED.claims)
            world = World(server=server, settings=settings, engine=engine, pool=pool)
            fill(world)
            yield Board(world=world, settings=settings)
    finally:
        server.stop()


def get_json(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def test_claims_list_counts_independent_sources(board: Board) -> None:
    claims = get_json(board.client(), "/api/claims")
    by_id = {c["id"]: c for c in claims["items"]}
    assert set(by_id) == {c.id for c in BUNDLED.claims}
    contact = by_id[CONTACT]
    assert contact["status"] == "disputed"
    assert contact["supports"] == 2  # wire copies count once
    assert contact["refutes"] >= 1
    assert contact["reports"] == 2  # other.test and evil.test
    assert contact["last_changed_at"] is not None
    assert contact["url"] == f"/api/claims/{CONTACT}"
    assert claims["next"] is None


def test_claims_paginate_with_a_cursor(board: Board) -> None:
    client = board.client(page_size=2)
    seen: list[str] = []
    url: str | None = "/api/claims"
    while url is not None:
        page = get_json(client, url)
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        url = page["next"]
    assert seen == sorted(c.id for c in BUNDLED.claims)
    assert len(seen) > 2
    assert client.get("/api/claims?cursor=abc").status_code == 422


def test_claim_detail_has_a_timeline_and_events(board: Board) -> None:
    claim = get_json(board.client(), f"/api/claims/{CONTACT}")
    assert claim["evidence"] == f"/api/claims/{CONTACT}/evidence"
    days = {d["day"]: d for d in claim["timeline"]}
    assert days["2024-10-24"]["supports"] == 1  # one story, two copies
    assert days["2024-10-26"]["supports"] == 1
    assert days["2024-10-27"]["refutes"] >= 1
    kinds = [e["kind"] for e in claim["events"]]
    assert "status_changed" in kinds
    assert board.client().get("/api/claims/no-such-claim").status_code == 404


def test_evidence_collapses_story_clusters(board: Board) -> None:
    page = get_json(board.client(), f"/api/claims/{CONTACT}/evidence?stance=supports")
    publishers = [(e["publisher"], len(e["copies"])) for e in page["items"]]
    wire = [p for p in publishers if p[0] in ("wire-a.test", "wire-b.test")]
    assert [n for _, n in wire] == [1]  # one row for the wire story, "+1 copy"
    assert ("news.test", 0) in publishers
    assert page["total"] == 2
    wire_row = next(e for e in page["items"] if e["copies"])
    assert wire_row["publisher"] == "wire-a.test"  # a story shows as its first article
    assert [c["publisher"] for c in wire_row["copies"]] == ["wire-b.test"]


def test_an_article_judged_for_linked_claims_is_listed_once(board: Board) -> None:
    page = get_json(board.client(), f"/api/claims/{CONTACT}/evidence")
    urls = [e["url"] for e in page["items"]] + [
        c["url"] for e in page["items"] for c in e["copies"]
    ]
    assert len(urls) == len(set(urls))
    [denial] = [e for e in page["items"] if e["stance"] == "refutes"]
    assert denial["copies"] == []
    dates = [e["published_at"] or e["first_seen_at"] for e in page["items"]]
    assert dates == sorted(dates, reverse=True)  # newest first


@pytest.mark.parametrize(
    ("query", "expected_days"),
    [
        ("since=2024-10-26", {"2024-10-26", "2024-10-27", "2024-10-28"}),
        ("until=2024-10-24", {"2024-10-24"}),
        ("since=2024-10-25&until=2024-10-25", {"2024-10-25"}),
        ("since=2024-10-25&until=2024-10-25&stance=supports", set()),
        ("stance=refutes", {"2024-10-27"}),
    ],
)
def test_evidence_filters_by_day_and_stance(
    board: Board, query: str, expected_days: set[str]
) -> None:
    page = get_json(board.client(), f"/api/claims/{CONTACT}/evidence?{query}")
    days = {(e["published_at"] or e["first_seen_at"])[:10] for e in page["items"]}
    assert days == expected_days
    if "stance=" in query:
        stance = query.rsplit("stance=", 1)[1]
        assert {e["stance"] for e in page["items"]} <= {stance}


def test_evidence_paginates_and_rejects_bad_filters(board: Board) -> None:
    client = board.client()
    everything = get_json(client, f"/api/claims/{CONTACT}/evidence")
    seen: list[int] = []
    url: str | None = f"/api/claims/{CONTACT}/evidence?limit=2"
    while url is not None:
        page = get_json(client, url)
        assert len(page["items"]) <= 2
        seen += [e["id"] for e in page["items"]]
        url = page["next"]
        if url is not None:
            assert "limit=2" in url
    assert seen == [e["id"] for e in everything["items"]]
    assert len(seen) == everything["total"] > 2
    for bad in ("since=yesterday", "stance=maybe", "limit=0", "cursor=-1"):
        assert client.get(f"/api/claims/{CONTACT}/evidence?{bad}").status_code == 422


def test_entities_and_their_latest_articles(board: Board) -> None:
    client = board.client()
    entities = {e["id"]: e for e in get_json(client, "/api/entities")["items"]}
    musk = entities["elon-musk"]
    assert musk["article_count"] >= 6
    articles: list[dict[str, Any]] = []
    url: str | None = f"{musk['url']}?limit=3"
    while url is not None:
        page = get_json(client, url)
        assert 0 < len(page["items"]) <= 3
        articles += page["items"]
        url = page["next"]
    ids = [a["id"] for a in articles]
    assert ids == sorted(ids, reverse=True)  # latest first
    assert len(set(ids)) == len(ids) == musk["article_count"]  # no repeats, none missed
    assert HOSTILE_TITLE in {a["title"] for a in articles}
    assert client.get("/api/entities/nobody/articles").status_code == 404


def test_feeds_report_their_health(board: Board) -> None:
    feeds = get_json(board.client(), "/api/feeds")["items"]
    assert len(feeds) == 3
    assert {f["health"] for f in feeds} == {"ok"}
    assert all(f["last_success_at"] is not None for f in feeds)


def test_openapi_schema_documents_the_api_and_no_cdn_docs(board: Board) -> None:
    client = board.client()
    schema = get_json(client, "/openapi.json")
    assert set(schema["paths"]) == {
        "/api/claims",
        "/api/claims/{claim_id}",
        "/api/claims/{claim_id}/evidence",
        "/api/entities",
        "/api/entities/{entity_id}/articles",
        "/api/feeds",
    }
    parameters = {
        p["name"] for p in schema["paths"]["/api/claims/{claim_id}/evidence"]["get"]["parameters"]
    }
    assert {"since", "until", "stance", "limit", "cursor"} <= parameters
    assert "EvidencePage" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_board_is_read_only(board: Board, method: str) -> None:
    response = board.client().request(method, "/api/claims")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_head_answers_without_a_body(board: Board) -> None:
    response = board.client().head("/api/claims")
    assert response.status_code == 200
    assert response.content == b""
