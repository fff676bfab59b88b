"""The board's HTML pages, its security headers and its token, over the pipeline-filled database."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from monitor.board.chart import timeline_svg
from monitor.board.security import COOKIE
from monitor.board.views import DayCount, page_of
from monitor.board_settings import BoardSettings
from monitor.cli.common import CommandError
from monitor.cli.serve import board_settings
from tests.test_board_api import HOSTILE_TITLE, HOSTILE_URL, Board, board
from tests.test_claims_pipeline import BUNDLED, CONTACT

__all__ = ["board"]  # the module-scoped fixture, shared with the API tests

TOKEN = "s3cret-board-token"


class Page(HTMLParser):
    """The elements (tag, attributes, class) and the text of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]

    def with_class(self, tag: str, name: str) -> list[dict[str, str | None]]:
        return [a for a in self.tags(tag) if name in (a.get("class") or "").split()]

    def hrefs(self) -> list[str]:
        return [a["href"] or "" for a in self.tags("a") if "href" in a]


def page(client: TestClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


def assert_nothing_runs(parsed: Page) -> None:
    assert parsed.tags("script") == []
    assert not [h for h in parsed.hrefs() if h.strip().lower().startswith("javascript:")]
    assert not [
        (tag, name)
        for tag, attrs in parsed.elements
        for name in attrs
        if name.lower().startswith("on")
    ]


def test_front_page_lists_claims_with_counts(board: Board) -> None:
    parsed = page(board.client(), "/")
    assert len(parsed.with_class("tr", "claim-row")) == len(BUNDLED.claims)
    assert f"/claims/{CONTACT}" in parsed.hrefs()
    assert "disputed" in parsed.text
    assert "/openapi.json" in parsed.hrefs()  # the footer says where the schema is
    # Nothing is loaded from another origin: one local stylesheet, an empty data: icon.
    assert {(a["rel"], a["href"]) for a in parsed.tags("link")} == {
        ("stylesheet", "/static/board.css"),
        ("icon", "data:,"),
    }
    assert parsed.tags("img") == [] and parsed.tags("iframe") == []
    assert_nothing_runs(parsed)


def test_claim_page_has_an_accessible_chart_and_collapsed_evidence(board: Board) -> None:
    parsed = page(board.client(), f"/claims/{CONTACT}")
    [svg] = parsed.tags("svg")
    assert svg["role"] == "img"
    assert parsed.tags("title") and parsed.tags("desc")
    assert parsed.with_class("rect", "bar-supports") and parsed.with_class("rect", "bar-refutes")
    assert "Stories per day from 2024-10-24 to 2024-10-28" in parsed.text  # the <desc>
    assert "supporting: 2 stories" in parsed.text  # the text legend
    rows = parsed.with_class("tr", "evidence-row")
    assert len(rows) >= 5
    assert "+1 copy" in parsed.text  # the wire story's second site
    assert HOSTILE_TITLE in parsed.text  # shown as text
    assert HOSTILE_URL in parsed.text
    assert_nothing_runs(parsed)


def test_claim_page_filters_and_missing_pages(board: Board) -> None:
    client = board.client()
    parsed = page(client, f"/claims/{CONTACT}?stance=refutes&since=&until=")
    rows = parsed.with_class("tr", "evidence-row")
    assert rows and all("stance-refutes" in (r["class"] or "") for r in rows)
    empty = page(client, f"/claims/{CONTACT}?since=2030-01-01")
    assert empty.with_class("tr", "evidence-row") == []
    assert "No evidence matches these filters" in empty.text
    page(client, f"/claims/{CONTACT}?since=soon", status=400)
    page(client, "/claims/no-such-claim", status=404)
    page(client, "/entities/nobody", status=404)


def test_entity_pages_list_the_latest_articles_naming_it(board: Board) -> None:
    client = board.client()
    entities = page(client, "/entities")
    assert "/entities/elon-musk" in entities.hrefs()
    parsed = page(client, "/entities/elon-musk")
    assert len(parsed.with_class("tr", "article-row")) >= 6
    assert HOSTILE_TITLE in parsed.text
    assert HOSTILE_URL in parsed.text
    assert_nothing_runs(parsed)


def test_feeds_page_shows_feed_health(board: Board) -> None:
    parsed = page(board.client(), "/feeds")
    rows = parsed.with_class("tr", "feed-row")
    assert len(rows) == 3
    assert all("health-ok" in (r["class"] or "") for r in rows)


def test_every_response_carries_strict_security_headers(board: Board) -> None:
    client = board.client()
    for url in ("/", f"/claims/{CONTACT}", "/api/claims", "/static/board.css", "/nowhere"):
        headers = client.get(url).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert client.get("/static/board.css").headers["content-type"].startswith("text/css")


def test_a_token_protects_every_page(board: Board) -> None:
    client = board.client(token=TOKEN)
    for url in ("/", "/api/claims", "/openapi.json", "/static/board.css"):
        refused = client.get(url)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "content-security-policy" in refused.headers
    wrong = client.get("/api/claims", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.get("/?token=nope").status_code == 401
    right = client.get("/api/claims", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200


def test_a_token_in_the_address_sets_a_strict_cookie_once(board: Board) -> None:
    client = board.client(token=TOKEN)
    response = client.get(
        f"/claims/{CONTACT}?token={TOKEN}&stance=supports", follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/claims/{CONTACT}?stance=supports"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=")
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/").status_code == 200  # the cookie it was given lets it in
    stale = board.client(token=TOKEN)
    stale.cookies.set(COOKIE, "stale")
    assert stale.get("/").status_code == 401


@pytest.mark.parametrize(
    ("address", "token", "allowed"),
    [
        (None, None, True),
        ("127.0.0.1", None, True),
        ("0.0.0.0", None, False),
        ("0.0.0.0", TOKEN, True),
    ],
)
def test_serve_refuses_a_public_address_without_a_token(
    address: str | None, token: str | None, allowed: bool
) -> None:
    base = BoardSettings.model_validate({"token": token})
    if allowed:
        assert board_settings(base, address, 9000).port == 9000
    else:
        with pytest.raises(CommandError, match="token"):
            board_settings(base, address, None)


@pytest.mark.parametrize(
    ("days", "described", "bars"),
    [
        ([], "No evidence yet.", 0),
        ([DayCount(date(2024, 1, 1), 1, 0, 2)], "2024-01-01: 1 supporting, 2 reporting.", 2),
        (
            [DayCount(date(2024, 1, 1), 0, 1, 0), DayCount(date(2024, 3, 1), 2, 0, 0)],
            "from 2024-01-01 to 2024-03-01: 2 supporting, 1 refuting, 0 reporting in all.",
            2,
        ),
    ],
)
def test_timeline_svg_is_well_formed_and_says_what_it_shows(
    days: list[DayCount], described: str, bars: int
) -> None:
    svg = ElementTree.fromstring(timeline_svg(days, title="Evidence <b>&</b>"))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img"
    assert svg.findtext(f"{ns}title") == "Evidence <b>&</b>"  # escaped, so it is text again
    assert described in (svg.findtext(f"{ns}desc") or "")
    assert (
        len([r for r in svg.iter(f"{ns}rect") if (r.get("class") or "").startswith("bar-")]) == bars
    )


@pytest.mark.parametrize(
    ("size", "offset", "limit", "chunk", "following"),
    [(5, 0, 2, [0, 1], 2), (5, 4, 2, [4], None), (4, 2, 2, [2, 3], None), (0, 0, 3, [], None)],
)
def test_pages_of_a_list(
    size: int, offset: int, limit: int, chunk: list[int], following: int | None
) -> None:
    assert page_of(list(range(size)), offset=offset, limit=limit) == (chunk, following)
