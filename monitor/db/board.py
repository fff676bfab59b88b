"""Read-only queries the claims board needs: entities, articles naming them, claim activity.

Does database I/O through the Session it is given; only SELECTs, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from monitor.db.models import Article, ClaimEventRow, Entity, Mention


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """A tracked entity and how many stored articles name it."""

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    active: bool
    article_count: int


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An article as the board lists it (no text)."""

    id: int
    url: str
    title: str | None
    publisher: str
    published_at: datetime | None
    fetched_at: datetime
    cluster_id: int
    mentions: int  # how often it names the entity asked about


_ENTITIES = cast(Table, Entity.__table__)
_MENTIONS = cast(Table, Mention.__table__)
_ARTICLES = cast(Table, Article.__table__)
_EVENTS = cast(Table, ClaimEventRow.__table__)


def list_entities(session: Session, *, active_only: bool = True) -> list[EntityRecord]:
    """Entities by id, each with the number of stored articles that name it."""
    counts = (
        select(_MENTIONS.c.entity_id, func.count().label("articles"))
        .group_by(_MENTIONS.c.entity_id)
        .subquery()
    )
    query = (
        select(_ENTITIES, func.coalesce(counts.c.articles, 0).label("article_count"))
        .outerjoin(counts, counts.c.entity_id == _ENTITIES.c.id)
        .order_by(_ENTITIES.c.id)
    )
    if active_only:
        query = query.where(_ENTITIES.c.active)
    return [
        EntityRecord(
            id=row.id,
            name=row.name,
            kind=row.kind,
            aliases=tuple(row.aliases),
            active=row.active,
            article_count=int(row.article_count),
        )
        for row in session.execute(query)
    ]


def get_entity(session: Session, entity_id: str) -> EntityRecord | None:
    found = [e for e in list_entities(session, active_only=False) if e.id == entity_id]
    return found[0] if found else None


def entity_articles(
    session: Session, entity_id: str, *, limit: int, before_id: int | None = None
) -> list[ArticleRecord]:
    """Articles naming the entity, latest stored first (by article id); `before_id` pages on."""
    query = (
        select(
            _ARTICLES.c.id,
            _ARTICLES.c.url,
            _ARTICLES.c.title,
            _ARTICLES.c.publisher,
            _ARTICLES.c.published_at,
            _ARTICLES.c.fetched_at,
            _ARTICLES.c.cluster_id,
            _MENTIONS.c.count.label("mention_count"),
        )
        .join(_MENTIONS, _MENTIONS.c.article_id == _ARTICLES.c.id)
        .where(_MENTIONS.c.entity_id == entity_id)
        .order_by(_ARTICLES.c.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(_ARTICLES.c.id < before_id)
    return [
        ArticleRecord(
            id=row.id,
            url=row.url,
            title=row.title,
            publisher=row.publisher,
            published_at=row.published_at,
            fetched_at=row.fetched_at,
            cluster_id=row.cluster_id,
            mentions=row.mention_count,
        )
        for row in session.execute(query)
    ]


def last_claim_events(session: Session) -> dict[str, datetime]:
    """When each claim last had an event (a status change or a new source)."""
    query = select(_EVENTS.c.claim_id, func.max(_EVENTS.c.created_at).label("last")).group_by(
        _EVENTS.c.claim_id
    )
    return {row.claim_id: row.last for row in session.execute(query) if row.last is not None}
