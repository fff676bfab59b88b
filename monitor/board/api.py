"""The board's JSON API under /api/: claims, claim evidence, entities and their articles, feeds.

Lists are paginated: `limit` (default [board] page_size) and an opaque `cursor`; each page has
`next_cursor` and `next` (a relative link) or null on the last page. Database (via `data`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request

from monitor.board import schemas
from monitor.board.data import BoardContext, claim_detail, claim_rows_now
from monitor.board.views import (
    ClaimRow,
    EvidenceEntry,
    EvidenceGroup,
    collapse_clusters,
    daily_counts,
    feed_health,
    filter_entries,
    page_of,
)
from monitor.db import board as board_rows
from monitor.db import feeds as feed_rows
from monitor.urls import redact_url

router = APIRouter(prefix="/api", tags=["board"])

Limit = Annotated[int | None, Query(ge=1, le=1000, description="items per page")]
Cursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="from `next_cursor`")]


def context(request: Request) -> BoardContext:
    board: BoardContext = request.app.state.board
    return board


def next_link(request: Request, cursor: int | None) -> tuple[str | None, str | None]:
    """(next_cursor, next) for a page followed by `cursor` (None: no next page)."""
    if cursor is None:
        return None, None
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", str(cursor)))
    return str(cursor), f"{request.url.path}?{urlencode(params)}"


def claim_out(row: ClaimRow) -> schemas.ClaimOut:
    return schemas.ClaimOut(
        id=row.id,
        text=row.text,
        status=row.status,
        supports=row.supports,
        refutes=row.refutes,
        reports=row.reports,
        last_changed_at=row.last_changed_at,
        url=f"/api/claims/{row.id}",
    )


@router.get("/claims", response_model=schemas.ClaimList, summary="Claims with status and counts")
def list_claims(request: Request, limit: Limit = None, cursor: Cursor = None) -> schemas.ClaimList:
    board = context(request)
    with board.read() as session:
        rows = claim_rows_now(session, board.watchlist)
    chunk, following = page_of(rows, offset=int(cursor or 0), limit=limit or board.page_size)
    next_cursor, next_url = next_link(request, following)
    return schemas.ClaimList(
        items=[claim_out(r) for r in chunk], next_cursor=next_cursor, next=next_url
    )


@router.get("/claims/{claim_id}", response_model=schemas.ClaimDetail, summary="One claim")
def get_claim(request: Request, claim_id: str) -> schemas.ClaimDetail:
    board = context(request)
    with board.read() as session:
        detail = claim_detail(session, board.watchlist, claim_id)
    if detail is None:
        raise HTTPException(status_code=404, detail=f"no such claim: {claim_id}")
    days = daily_counts(collapse_clusters(detail.entries))
    return schemas.ClaimDetail(
        **claim_out(detail.row).model_dump(),
        source=detail.source,
        entities=list(detail.entities),
        denies=list(detail.denies),
        timeline=[
            schemas.DayOut(day=d.day, supports=d.supports, refutes=d.refutes, reports=d.reports)
            for d in days
        ],
        events=[
            schemas.ClaimEventOut(
                kind=e.kind,
                old_status=e.old_status,
                new_status=e.new_status,
                alert_worthy=e.alert_worthy,
                at=e.created_at,
            )
            for e in detail.events
        ],
        evidence=f"/api/claims/{claim_id}/evidence",
    )


def copy_out(entry: EvidenceEntry) -> schemas.EvidenceCopy:
    r = entry.record
    return schemas.EvidenceCopy(
        publisher=r.publisher,
        title=r.title,
        url=r.url,
        published_at=r.published_at,
        first_seen_at=r.fetched_at,
    )


def evidence_out(group: EvidenceGroup) -> schemas.EvidenceOut:
    r = group.first.record
    return schemas.EvidenceOut(
        id=r.id,
        stance=group.first.stance,  # type: ignore[arg-type]
        confidence=r.confidence,
        quote=r.quote,
        title=r.title,
        publisher=r.publisher,
        url=r.url,
        published_at=r.published_at,
        first_seen_at=r.fetched_at,
        story_cluster=r.cluster_id,
        via=group.first.via,
        model_version=r.model_version,
        copies=[copy_out(c) for c in group.copies],
    )


@router.get(
    "/claims/{claim_id}/evidence",
    response_model=schemas.EvidencePage,
    summary="A claim's evidence, newest first, story clusters collapsed",
)
def claim_evidence(
    request: Request,
    claim_id: str,
    since: Annotated[date | None, Query(description="first day (UTC), included")] = None,
    until: Annotated[date | None, Query(description="last day (UTC), included")] = None,
    stance: schemas.StanceName | None = None,
    limit: Limit = None,
    cursor: Cursor = None,
) -> schemas.EvidencePage:
    board = context(request)
    with board.read() as session:
        detail = claim_detail(session, board.watchlist, claim_id)
    if detail is None:
        raise HTTPException(status_code=404, detail=f"no such claim: {claim_id}")
    chosen = filter_entries(detail.entries, since=since, until=until, stance=stance)
    groups = collapse_clusters(chosen)
    chunk, following = page_of(groups, offset=int(cursor or 0), limit=limit or board.page_size)
    next_cursor, next_url = next_link(request, following)
    return schemas.EvidencePage(
        claim_id=claim_id,
        total=len(groups),
        items=[evidence_out(g) for g in chunk],
        next_cursor=next_cursor,
        next=next_url,
    )


@router.get("/entities", response_model=schemas.EntityList, summary="Tracked entities")
def list_entities(
    request: Request, limit: Limit = None, cursor: Cursor = None
) -> schemas.EntityList:
    board = context(request)
    with board.read() as session:
        entities = board_rows.list_entities(session)
    chunk, following = page_of(entities, offset=int(cursor or 0), limit=limit or board.page_size)
    next_cursor, next_url = next_link(request, following)
    items = [
        schemas.EntityOut(
            id=e.id,
            name=e.name,
            kind=e.kind,
            aliases=list(e.aliases),
            article_count=e.article_count,
            url=f"/api/entities/{e.id}/articles",
        )
        for e in chunk
    ]
    return schemas.EntityList(items=items, next_cursor=next_cursor, next=next_url)


@router.get(
    "/entities/{entity_id}/articles",
    response_model=schemas.ArticlePage,
    summary="The latest articles naming an entity",
)
def entity_articles(
    request: Request, entity_id: str, limit: Limit = None, cursor: Cursor = None
) -> schemas.ArticlePage:
    board = context(request)
    size = limit or board.page_size
    with board.read() as session:
        if board_rows.get_entity(session, entity_id) is None:
            raise HTTPException(status_code=404, detail=f"no such entity: {entity_id}")
        before = int(cursor) if cursor else None
        found = board_rows.entity_articles(session, entity_id, limit=size + 1, before_id=before)
    chunk = found[:size]
    following = chunk[-1].id if len(found) > size else None
    next_cursor, next_url = next_link(request, following)
    items = [
        schemas.ArticleOut(
            id=a.id,
            url=a.url,
            title=a.title,
            publisher=a.publisher,
            published_at=a.published_at,
            first_seen_at=a.fetched_at,
            story_cluster=a.cluster_id,
            mentions=a.mentions,
        )
        for a in chunk
    ]
    return schemas.ArticlePage(
        entity_id=entity_id, items=items, next_cursor=next_cursor, next=next_url
    )


@router.get("/feeds", response_model=schemas.FeedList, summary="Feeds and their health")
def list_feeds(request: Request, limit: Limit = None, cursor: Cursor = None) -> schemas.FeedList:
    board = context(request)
    with board.read() as session:
        feeds = feed_rows.list_feeds(session)
    chunk, following = page_of(feeds, offset=int(cursor or 0), limit=limit or board.page_size)
    next_cursor, next_url = next_link(request, following)
    items = [
        schemas.FeedOut(
            id=f.id,
            url=redact_url(f.url),
            name=f.name,
            source=f.source,
            active=f.active,
            health=feed_health(f),  # type: ignore[arg-type]
            consecutive_failures=f.consecutive_failures,
            last_checked_at=f.last_checked_at,
            last_success_at=f.last_success_at,
            next_check_at=f.next_check_at,
            last_error_code=f.last_error_code,
            last_error=f.last_error,
            warning=f.warning,
        )
        for f in chunk
    ]
    return schemas.FeedList(items=items, next_cursor=next_cursor, next=next_url)
