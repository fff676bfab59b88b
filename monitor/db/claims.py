"""Queries for the watchlist and its evidence: entities, claims, mentions, evidence, events.

Functions take a Session and never commit; they return the frozen records of `records`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from monitor.db.dialect_insert import insert_ignoring_conflicts
from monitor.db.models import Article, Claim, ClaimEventRow, Entity, Evidence, Mention
from monitor.db.records import (
    ClaimEventRecord,
    ClaimRecord,
    EvidenceRecord,
    NewEvidence,
    WatchedClaim,
    WatchedEntity,
)

_ENTITIES = cast(Table, Entity.__table__)
_CLAIMS = cast(Table, Claim.__table__)
_MENTIONS = cast(Table, Mention.__table__)
_EVIDENCE = cast(Table, Evidence.__table__)
_EVENTS = cast(Table, ClaimEventRow.__table__)
_ARTICLES = cast(Table, Article.__table__)


def claim_text_sha256(text: str) -> str:
    """The version of a claim's wording: evidence judged against other wording is stale."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def sync_watchlist(
    session: Session,
    entities: Sequence[WatchedEntity],
    claims: Sequence[WatchedClaim],
    *,
    now: datetime,
) -> list[str]:
    """Make the entity and claim tables match the config; return ids of claims that need a
    backfill: new, reworded (their stale evidence is deleted) or configured again after a time
    out of the config (articles stored meanwhile were not judged against them).

    Entities and claims no longer configured are deactivated, never deleted: their evidence and
    history stay.
    """
    existing_entities = {row.id for row in session.execute(select(_ENTITIES.c.id))}
    for entity in entities:
        fields = {"name": entity.name, "kind": entity.kind, "aliases": list(entity.aliases)}
        if entity.id in existing_entities:
            session.execute(
                update(_ENTITIES)
                .where(_ENTITIES.c.id == entity.id)
                .values(**fields, active=True, updated_at=now)
            )
        else:
            session.execute(_ENTITIES.insert().values(id=entity.id, updated_at=now, **fields))
    configured = {e.id for e in entities}
    session.execute(update(_ENTITIES).where(_ENTITIES.c.id.not_in(configured)).values(active=False))

    versions = {row.id: (row.text_sha256, row.active) for row in session.execute(select(_CLAIMS))}
    changed: list[str] = []
    for claim in claims:
        sha = claim_text_sha256(claim.text)
        values: dict[str, Any] = {
            "text": claim.text,
            "text_sha256": sha,
            "kind": claim.kind,
            "source": claim.source,
            "opened": claim.opened,
            "entities": list(claim.entities),
            "denies": list(claim.denies),
            "active": True,
            "updated_at": now,
        }
        if claim.id not in versions:
            session.execute(_CLAIMS.insert().values(id=claim.id, **values))
            changed.append(claim.id)
            continue
        session.execute(update(_CLAIMS).where(_CLAIMS.c.id == claim.id).values(**values))
        old_sha, was_active = versions[claim.id]
        if old_sha != sha:
            session.execute(delete(_EVIDENCE).where(_EVIDENCE.c.claim_id == claim.id))
            changed.append(claim.id)
        elif not was_active:
            changed.append(claim.id)
    configured_claims = {c.id for c in claims}
    session.execute(
        update(_CLAIMS).where(_CLAIMS.c.id.not_in(configured_claims)).values(active=False)
    )
    return changed


def _claim(row: Any) -> ClaimRecord:
    return ClaimRecord(
        id=row.id,
        text=row.text,
        text_sha256=row.text_sha256,
        kind=row.kind,
        source=row.source,
        entities=tuple(row.entities),
        denies=tuple(row.denies),
        active=row.active,
        status=row.status,
        status_changed_at=row.status_changed_at,
    )


def list_claims(session: Session, *, active_only: bool = True) -> list[ClaimRecord]:
    query = select(_CLAIMS).order_by(_CLAIMS.c.id)
    if active_only:
        query = query.where(_CLAIMS.c.active)
    return [_claim(row) for row in session.execute(query)]


def get_claim(session: Session, claim_id: str) -> ClaimRecord | None:
    row = session.execute(select(_CLAIMS).where(_CLAIMS.c.id == claim_id)).one_or_none()
    return None if row is None else _claim(row)


def set_claim_status(session: Session, claim_id: str, status: str, *, now: datetime) -> None:
    session.execute(
        update(_CLAIMS).where(_CLAIMS.c.id == claim_id).values(status=status, status_changed_at=now)
    )


def record_mentions(session: Session, article_id: int, counts: Mapping[str, int]) -> None:
    """Store how often the article names each (known) entity; repeated calls change nothing."""
    known = {row.id for row in session.execute(select(_ENTITIES.c.id))}
    for entity_id, count in counts.items():
        if entity_id in known:
            session.execute(
                insert_ignoring_conflicts(session, Mention, ["article_id", "entity_id"]).values(
                    article_id=article_id, entity_id=entity_id, count=count
                )
            )


def mentioned_entities(session: Session, article_ids: Collection[int]) -> dict[int, list[str]]:
    if not article_ids:
        return {}
    query = (
        select(_MENTIONS.c.article_id, _MENTIONS.c.entity_id)
        .where(_MENTIONS.c.article_id.in_(list(article_ids)))
        .order_by(_MENTIONS.c.entity_id)
    )
    found: dict[int, list[str]] = {}
    for row in session.execute(query):
        found.setdefault(row.article_id, []).append(row.entity_id)
    return found


def insert_evidence(session: Session, evidence: NewEvidence) -> int | None:
    """Store a judgement; None when this claim already has evidence from this article."""
    statement = (
        insert_ignoring_conflicts(session, Evidence, ["claim_id", "article_id"])
        .values(
            claim_id=evidence.claim_id,
            article_id=evidence.article_id,
            stance=evidence.stance,
            confidence=evidence.confidence,
            quote=evidence.quote,
            model_version=evidence.model_version,
            claim_text_sha256=evidence.claim_text_sha256,
            backfill=evidence.backfill,
            judged_at=evidence.judged_at,
        )
        .returning(_EVIDENCE.c.id)
    )
    return session.execute(statement).scalar_one_or_none()


def evidence_for(session: Session, claim_ids: Collection[str]) -> list[EvidenceRecord]:
    """Evidence of these claims with its articles' publisher and cluster, oldest first."""
    if not claim_ids:
        return []
    query = (
        select(
            _EVIDENCE,
            _ARTICLES.c.url,
            _ARTICLES.c.title,
            _ARTICLES.c.publisher,
            _ARTICLES.c.cluster_id,
            _ARTICLES.c.published_at,
            _ARTICLES.c.fetched_at,
        )
        .join(_ARTICLES, _ARTICLES.c.id == _EVIDENCE.c.article_id)
        .where(_EVIDENCE.c.claim_id.in_(list(claim_ids)))
        .order_by(_ARTICLES.c.fetched_at, _EVIDENCE.c.id)
    )
    return [
        EvidenceRecord(
            id=row.id,
            claim_id=row.claim_id,
            article_id=row.article_id,
            stance=row.stance,
            confidence=row.confidence,
            quote=row.quote,
            model_version=row.model_version,
            backfill=row.backfill,
            judged_at=row.judged_at,
            url=row.url,
            title=row.title,
            publisher=row.publisher,
            cluster_id=row.cluster_id,
            published_at=row.published_at,
            fetched_at=row.fetched_at,
        )
        for row in session.execute(query)
    ]


def insert_claim_event(
    session: Session,
    *,
    claim_id: str,
    kind: str,
    old_status: str | None,
    new_status: str | None,
    evidence_id: int | None,
    alert_worthy: bool,
    now: datetime,
) -> int:
    statement = (
        _EVENTS.insert()
        .values(
            claim_id=claim_id,
            kind=kind,
            old_status=old_status,
            new_status=new_status,
            evidence_id=evidence_id,
            alert_worthy=alert_worthy,
            created_at=now,
        )
        .returning(_EVENTS.c.id)
    )
    return int(session.execute(statement).scalar_one())


def claim_events(session: Session, claim_id: str | None = None) -> list[ClaimEventRecord]:
    query = select(_EVENTS).order_by(_EVENTS.c.id)
    if claim_id is not None:
        query = query.where(_EVENTS.c.claim_id == claim_id)
    return [
        ClaimEventRecord(
            id=row.id,
            claim_id=row.claim_id,
            kind=row.kind,
            old_status=row.old_status,
            new_status=row.new_status,
            evidence_id=row.evidence_id,
            alert_worthy=row.alert_worthy,
            created_at=row.created_at,
        )
        for row in session.execute(query)
    ]
