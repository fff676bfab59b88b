"""Outbox events to a digest: payload snapshots, channel filters, grouping by claim. Pure.

Events are written as snapshots (`evidence_payload`, `status_payload`, `feed_payload`,
`notice_payload`) in the transaction that caused them, so a digest built hours later says what
was true then, and never needs the articles or claims to still exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.digest.model import (
    ClaimSection,
    Counts,
    Digest,
    EvidenceLine,
    FeedHealthLine,
    Notice,
    StatusChange,
)

# Outbox kinds, and the channel `events` filter value each one answers to.
EVIDENCE, STATUS = "evidence", "status"
FEED_FAILING, FEED_RECOVERED = "feed_failing", "feed_recovered"
CHANNEL_DISABLED = "channel_disabled"


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An outbox row as the digest builder sees it."""

    id: int
    kind: str
    claim_id: str | None
    entity_ids: tuple[str, ...]
    payload: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    """Which events a channel wants (see [[channels]] in config/monitor.toml)."""

    channel_id: str
    events: frozenset[str]  # of "supports", "refutes", "status", "feeds"
    claims: frozenset[str] = frozenset()  # empty: every claim
    entities: frozenset[str] = frozenset()  # empty: no entity filter
    takes_notices: bool = False  # email channels hear about other channels being disabled

    def wants(self, event: PendingEvent) -> bool:
        if event.kind == CHANNEL_DISABLED:
            return self.takes_notices and event.payload.get("channel") != self.channel_id
        if event.kind in (FEED_FAILING, FEED_RECOVERED):
            return "feeds" in self.events
        if event.kind == STATUS:
            wanted = "status" in self.events
        else:
            wanted = event.payload.get("stance") in self.events
        if not wanted:
            return False
        if self.claims and event.claim_id not in self.claims:
            return False
        return not self.entities or bool(self.entities & set(event.entity_ids))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _when(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def claim_snapshot(
    claim_id: str, text: str, status: str, counts: Counts, entities: Sequence[str]
) -> dict[str, Any]:
    return {
        "id": claim_id,
        "text": text,
        "status": status,
        "entities": list(entities),
        "counts": {
            "supports": counts.supports,
            "refutes": counts.refutes,
            "reports": counts.reports,
        },
    }


def evidence_payload(claim: Mapping[str, Any], line: EvidenceLine) -> dict[str, Any]:
    return {
        "claim": dict(claim),
        "stance": line.stance,
        "evidence": {
            "confidence": line.confidence,
            "quote": line.quote,
            "publisher": line.publisher,
            "title": line.title,
            "url": line.url,
            "published_at": _iso(line.published_at),
            "first_seen_at": _iso(line.first_seen_at),
            "via": line.via,
        },
    }


def status_payload(claim: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    return {"claim": dict(claim), "old_status": old, "new_status": new}


def feed_payload(url: str, name: str | None, error: str | None, failures: int) -> dict[str, Any]:
    """`url` must already be redacted: payloads are shown to users and never hold secrets."""
    return {"feed": {"url": url, "name": name}, "error": error, "failures": failures}


def notice_payload(channel_id: str, error: str) -> dict[str, Any]:
    return {"channel": channel_id, "error": error}


def _counts(claim: Mapping[str, Any]) -> Counts:
    counts = claim.get("counts", {})
    return Counts(
        int(counts.get("supports", 0)),
        int(counts.get("refutes", 0)),
        int(counts.get("reports", 0)),
    )


def _evidence_line(payload: Mapping[str, Any]) -> EvidenceLine:
    found = payload["evidence"]
    return EvidenceLine(
        stance=str(payload["stance"]),
        confidence=float(found["confidence"]),
        quote=str(found["quote"]),
        publisher=str(found["publisher"]),
        title=found.get("title"),
        url=str(found["url"]),
        published_at=_when(found.get("published_at")),
        first_seen_at=_when(found["first_seen_at"]) or datetime.min,
        via=found.get("via"),
    )


@dataclass
class _ClaimNews:
    text: str
    status: str
    counts: Counts
    changes: list[StatusChange] = field(default_factory=list)
    evidence: list[EvidenceLine] = field(default_factory=list)


def build_digest(
    events: Iterable[PendingEvent],
    *,
    delivery_id: str,
    channel_id: str,
    now: datetime,
    max_claims: int,
    max_evidence_per_claim: int,
) -> Digest:
    """Group events by claim (in the order claims first appear), newest status winning.

    Long digests are cut, and say how much they left out: at most `max_claims` claims and
    `max_evidence_per_claim` new pieces of evidence each, so a first import of a big feed
    makes one readable message rather than a flood.
    """
    claims: dict[str, _ClaimNews] = {}
    feeds: list[FeedHealthLine] = []
    notices: list[Notice] = []
    count = 0
    for event in events:
        count += 1
        payload = event.payload
        if event.kind in (EVIDENCE, STATUS):
            snapshot = payload["claim"]
            news = claims.setdefault(
                str(snapshot["id"]), _ClaimNews(str(snapshot["text"]), "", Counts())
            )
            news.status, news.counts = str(snapshot["status"]), _counts(snapshot)
            if event.kind == STATUS:
                news.changes.append(
                    StatusChange(
                        str(payload["old_status"]), str(payload["new_status"]), event.created_at
                    )
                )
            else:
                news.evidence.append(_evidence_line(payload))
        elif event.kind in (FEED_FAILING, FEED_RECOVERED):
            feeds.append(
                FeedHealthLine(
                    url=str(payload["feed"]["url"]),
                    name=payload["feed"].get("name"),
                    state="failing" if event.kind == FEED_FAILING else "recovered",
                    error=payload.get("error"),
                    failures=int(payload.get("failures", 0)),
                    at=event.created_at,
                )
            )
        elif event.kind == CHANNEL_DISABLED:
            notices.append(
                Notice(
                    CHANNEL_DISABLED,
                    f"Channel {payload['channel']!r} was disabled: {payload['error']}. "
                    "Fix its configuration and run `monitor deliveries enable "
                    f"{payload['channel']}`.",
                    event.created_at,
                )
            )
    sections = [
        ClaimSection(
            claim_id=claim_id,
            text=news.text,
            status=news.status,
            counts=news.counts,
            changes=tuple(news.changes),
            evidence=tuple(news.evidence[:max_evidence_per_claim]),
            omitted_evidence=max(0, len(news.evidence) - max_evidence_per_claim),
        )
        for claim_id, news in claims.items()
    ]
    return Digest(
        delivery_id=delivery_id,
        channel_id=channel_id,
        created_at=now,
        claims=tuple(sections[:max_claims]),
        feeds=tuple(feeds),
        notices=tuple(notices),
        omitted_claims=max(0, len(sections) - max_claims),
        event_count=count,
    )
