"""The board's HTML pages: claims, one claim (chart and evidence), entities, one entity, feeds.

Server-rendered with Jinja2, autoescaped; values from feeds also pass through the digest's
`clean`/`clip`/`link_url` filters, so only http(s) URLs become links. No JavaScript. Database
(via `data`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from monitor.board.chart import COLOURS, LABELS, timeline_svg
from monitor.board.data import BoardContext, claim_detail, claim_rows_now
from monitor.board.views import (
    STANCES,
    collapse_clusters,
    daily_counts,
    feed_health,
    filter_entries,
    page_of,
)
from monitor.db import board as board_rows
from monitor.db import feeds as feed_rows
from monitor.digest.render import clean, clip, day, link_url
from monitor.domain import article_date, as_utc
from monitor.urls import redact_url

router = APIRouter(include_in_schema=False)


def _moment(value: datetime | None) -> str:
    return "" if value is None else as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def template_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("monitor.board", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        clean=clean, clip=clip, link_url=link_url, day=day, moment=_moment, dated=article_date
    )
    env.globals.update(colours=COLOURS, labels=LABELS)
    return env


_TEMPLATES = template_environment()


def render(name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    html = _TEMPLATES.get_template(name).render(**values)
    return HTMLResponse(html, status_code=status_code)


def context(request: Request) -> BoardContext:
    board: BoardContext = request.app.state.board
    return board


def not_found(what: str) -> HTMLResponse:
    return render("error.html", status_code=404, title="Not found", message=what)


def _day_param(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value)


@router.get("/", response_class=HTMLResponse)
def front_page(request: Request) -> HTMLResponse:
    board = context(request)
    with board.read() as session:
        rows = claim_rows_now(session, board.watchlist)
    return render("claims.html", title="Claims", claims=rows)


@router.get("/claims/{claim_id}", response_class=HTMLResponse)
def claim_page(
    request: Request,
    claim_id: str,
    since: str | None = None,
    until: str | None = None,
    stance: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    board = context(request)
    try:
        first, last = _day_param(since), _day_param(until)
    except ValueError:
        return render("error.html", 400, title="Bad request", message="Dates are YYYY-MM-DD.")
    chosen_stance = stance if stance in STANCES else None
    with board.read() as session:
        detail = claim_detail(session, board.watchlist, claim_id)
    if detail is None:
        return not_found(f"No such claim: {claim_id}")
    all_groups = collapse_clusters(detail.entries)
    days = daily_counts(all_groups)
    chart = timeline_svg(days, title=f"Evidence for {clip(detail.row.id, 80)} by day and stance")
    groups = collapse_clusters(
        filter_entries(detail.entries, since=first, until=last, stance=chosen_stance)
    )
    page = max(page, 1)
    shown, following = page_of(groups, offset=(page - 1) * board.page_size, limit=board.page_size)
    totals = {s: sum(d.count(s) for d in days) for s in LABELS}
    return render(
        "claim.html",
        title=detail.row.id,
        claim=detail.row,
        detail=detail,
        chart=Markup(chart),  # noqa: S704 - built by timeline_svg, which escapes every text
        totals=totals,
        groups=shown,
        total=len(groups),
        page=page,
        has_next=following is not None,
        filters={"since": since or "", "until": until or "", "stance": chosen_stance or ""},
        stances=STANCES,
    )


@router.get("/entities", response_class=HTMLResponse)
def entities_page(request: Request) -> HTMLResponse:
    board = context(request)
    with board.read() as session:
        entities = board_rows.list_entities(session)
    return render("entities.html", title="Entities", entities=entities)


@router.get("/entities/{entity_id}", response_class=HTMLResponse)
def entity_page(request: Request, entity_id: str) -> HTMLResponse:
    board = context(request)
    with board.read() as session:
        entity = board_rows.get_entity(session, entity_id)
        articles = (
            board_rows.entity_articles(session, entity_id, limit=board.page_size)
            if entity is not None
            else []
        )
    if entity is None:
        return not_found(f"No such entity: {entity_id}")
    return render("entity.html", title=entity.name, entity=entity, articles=articles)


@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request) -> HTMLResponse:
    board = context(request)
    with board.read() as session:
        feeds = feed_rows.list_feeds(session)
    rows = [(f, redact_url(f.url), feed_health(f)) for f in feeds]
    return render("feeds.html", title="Feeds", feeds=rows)
