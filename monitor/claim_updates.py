"""Record what articles say about claims, and keep claim status and events up to date. Database.

Runs inside the caller's transaction (the feed's, or a backfill batch's), so evidence, status
and events are written together or not at all. The decisions are the pure `evidence` stage's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.db import articles as article_rows
from monitor.db import claims as claim_rows
from monitor.db import outbox
from monitor.db.records import EvidenceRecord, NewEvidence, WatchedClaim, WatchedEntity
from monitor.digest import build as digest_build
from monitor.digest.model import Counts, EvidenceLine
from monitor.evidence import (
    ClaimEvent,
    ClaimEventKind,
    ClaimView,
    EvidenceItem,
    diff_events,
    effective_evidence,
    view_claim,
)
from monitor.settings import ClaimSettings, EntitySettings
from monitor.watchlist import ArticleFindings, Watchlist

BACKFILL_BATCH = 200

NewEvidenceRef = tuple[int, str]  # (evidence id, claim id)


def record_findings(
    session: Session,
    watchlist: Watchlist,
    article_id: int,
    findings: ArticleFindings,
    *,
    now: datetime,
    backfill: bool = False,
) -> list[NewEvidenceRef]:
    """Store the article's mentions and judgements; return (evidence id, claim id) of new rows."""
    claim_rows.record_mentions(session, article_id, findings.mentions)
    stored: list[NewEvidenceRef] = []
    for claim_id, judgement in findings.judgements:
        evidence_id = claim_rows.insert_evidence(
            session,
            NewEvidence(
                claim_id=claim_id,
                article_id=article_id,
                stance=judgement.stance.value,
                confidence=judgement.confidence,
                quote=judgement.quote,
                model_version=judgement.model_version,
                claim_text_sha256=claim_rows.claim_text_sha256(watchlist.claims[claim_id].text),
                backfill=backfill,
                judged_at=now,
            ),
        )
        if evidence_id is not None:
            stored.append((evidence_id, claim_id))
    return stored


def _linked(claim_ids: Iterable[str], denies: Mapping[str, tuple[str, ...]]) -> set[str]:
    """The claims and every claim linked to them by `denies`, in either direction."""
    found = set(claim_ids)
    for claim_id, denied in denies.items():
        for other in denied:
            if claim_id in found or other in found:
                found.update((claim_id, other))
    return found


def _by_claim(records: Iterable[EvidenceRecord]) -> dict[str, list[EvidenceItem]]:
    grouped: dict[str, list[EvidenceItem]] = defaultdict(list)
    for record in records:
        grouped[record.claim_id].append(EvidenceItem.from_record(record))
    return grouped


def update_claims(
    session: Session,
    watchlist: Watchlist,
    new_evidence: Collection[NewEvidenceRef],
    *,
    now: datetime,
    backfill: bool = False,
) -> int:
    """Re-derive the status of every claim the new evidence touches (linked claims included),
    store status changes and one event per change or new independent source; return the number
    of events. Backfilled evidence makes events that are not alert-worthy."""
    if not new_evidence:
        return 0
    new_ids = {evidence_id for evidence_id, _ in new_evidence}
    touched = {claim_id for _, claim_id in new_evidence}
    affected = _linked(touched, watchlist.denies) & set(watchlist.claims)
    records = claim_rows.evidence_for(session, _linked(affected, watchlist.denies))
    by_key = {(r.claim_id, r.article_id): r for r in records}
    after_by_claim = _by_claim(records)
    before_by_claim = _by_claim(r for r in records if r.id not in new_ids)
    events = 0
    for claim_id in sorted(affected):
        corroborate_at = watchlist.rules.corroborate_at
        before = view_claim(
            effective_evidence(claim_id, before_by_claim, watchlist.denies),
            corroborate_at=corroborate_at,
        )
        after = view_claim(
            effective_evidence(claim_id, after_by_claim, watchlist.denies),
            corroborate_at=corroborate_at,
        )
        stored = claim_rows.get_claim(session, claim_id)
        if stored is not None and stored.status != after.status.value:
            claim_rows.set_claim_status(session, claim_id, after.status.value, now=now)
        for event in diff_events(
            claim_id,
            before,
            after,
            backfill=backfill,
            alert_on_backfill=watchlist.rules.alert_on_backfill,
        ):
            source = event.evidence
            record = (
                by_key.get((source.via or source.claim_id, source.article_id))
                if source is not None
                else None
            )
            claim_rows.insert_claim_event(
                session,
                claim_id=claim_id,
                kind=event.kind.value,
                old_status=event.old_status.value,
                new_status=event.new_status.value,
                evidence_id=None if record is None else record.id,
                alert_worthy=event.alert_worthy,
                now=now,
            )
            if event.alert_worthy:
                _to_outbox(session, watchlist, event, after, record, now=now)
            events += 1
    return events


def _to_outbox(
    session: Session,
    watchlist: Watchlist,
    event: ClaimEvent,
    after: ClaimView,
    record: EvidenceRecord | None,
    *,
    now: datetime,
) -> None:
    """Queue an alert-worthy event for the digests, as a snapshot of what is true now."""
    claim = watchlist.claims[event.claim_id]
    counts = Counts(after.counts.supports, after.counts.refutes, after.counts.reports)
    snapshot = digest_build.claim_snapshot(
        claim.id, claim.text, event.new_status.value, counts, claim.entities
    )
    if event.kind is ClaimEventKind.STATUS_CHANGED:
        kind = digest_build.STATUS
        payload = digest_build.status_payload(
            snapshot, event.old_status.value, event.new_status.value
        )
    elif event.evidence is not None and record is not None:
        source = event.evidence
        kind = digest_build.EVIDENCE
        payload = digest_build.evidence_payload(
            snapshot,
            EvidenceLine(
                stance=source.stance.value,
                confidence=source.confidence,
                quote=source.quote,
                publisher=record.publisher,
                title=record.title,
                url=record.url,
                published_at=record.published_at,
                first_seen_at=record.fetched_at,
                via=source.via,
            ),
        )
    else:
        return
    outbox.add_event(session, kind, payload, now=now, claim_id=claim.id, entity_ids=claim.entities)


def backfill_claims(
    session: Session, watchlist: Watchlist, claim_ids: Sequence[str], *, now: datetime
) -> int:
    """Judge every stored article against new or reworded claims; return evidence rows added.

    Old evidence keeps its articles' real dates and raises no alert-worthy events."""
    only = frozenset(claim_ids) & frozenset(watchlist.claims)
    if not only:
        return 0
    added: list[NewEvidenceRef] = []
    after_id = 0
    while batch := article_rows.articles_with_text(
        session, after_id=after_id, limit=BACKFILL_BATCH
    ):
        for article_id, text in batch:
            findings = watchlist.judge_article(text, only=only)
            added += record_findings(
                session, watchlist, article_id, findings, now=now, backfill=True
            )
        after_id = batch[-1][0]
    update_claims(session, watchlist, added, now=now, backfill=True)
    return len(added)


def sync_and_backfill(
    session: Session,
    watchlist: Watchlist,
    settings_claims: Sequence[ClaimSettings],
    settings_entities: Sequence[EntitySettings],
    *,
    now: datetime,
) -> int:
    """Sync the config's watchlist to the database and backfill new or reworded claims."""
    changed = claim_rows.sync_watchlist(
        session,
        [WatchedEntity(e.id, e.name, e.kind, e.aliases) for e in settings_entities],
        [
            WatchedClaim(c.id, c.text, c.kind, c.source, c.opened, c.entities, c.denies)
            for c in settings_claims
        ],
        now=now,
    )
    return backfill_claims(session, watchlist, changed, now=now)


@dataclass(frozen=True)
class ClaimSummary:
    """A claim with its derived status and counts of independent sources by stance."""

    id: str
    text: str
    status: str
    status_changed_at: datetime | None
    supports: int
    refutes: int
    reports: int


def claim_summaries(session: Session, watchlist: Watchlist) -> list[ClaimSummary]:
    """Every active claim's status and source counts (linked claims' evidence included)."""
    claims = claim_rows.list_claims(session)
    by_claim = _by_claim(claim_rows.evidence_for(session, [c.id for c in claims]))
    summaries = []
    for claim in claims:
        view = view_claim(
            effective_evidence(claim.id, by_claim, watchlist.denies),
            corroborate_at=watchlist.rules.corroborate_at,
        )
        summaries.append(
            ClaimSummary(
                id=claim.id,
                text=claim.text,
                status=claim.status,
                status_changed_at=claim.status_changed_at,
                supports=view.counts.supports,
                refutes=view.counts.refutes,
                reports=view.counts.reports,
            )
        )
    return summaries
