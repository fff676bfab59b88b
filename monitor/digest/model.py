"""What a digest says: claims with their changes and new evidence, feed health, notices. Pure.

A digest is built once, when its delivery is created, and stored with it as JSON (`to_json`), so
every retry of one delivery sends the same content. The JSON form is also the `data` of the
webhook body (`webhook_body`), whose shape is a documented contract: keys are only ever added.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.domain import believable_published

DIGEST_VERSION = 1
WEBHOOK_EVENT_TYPE = "monitor.digest"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class Counts:
    """Independent sources by stance."""

    supports: int = 0
    refutes: int = 0
    reports: int = 0


@dataclass(frozen=True, slots=True)
class EvidenceLine:
    """One new piece of evidence: what the article does with the claim, and where it said so."""

    stance: str  # "supports" or "refutes"
    confidence: float
    quote: str
    publisher: str
    title: str | None
    url: str
    published_at: datetime | None
    first_seen_at: datetime
    via: str | None = None  # the linked claim the article was judged against, if not this one

    @property
    def dated(self) -> tuple[str, datetime]:
        """How a digest dates the article: ("published", its date), or ("first seen", when it
        was first seen) where it has no date or one after that (a feed dated it in the future).
        The payload keeps `published_at` as the feed gave it."""
        published = believable_published(self.published_at, self.first_seen_at)
        return ("published", published) if published else ("first seen", self.first_seen_at)


@dataclass(frozen=True, slots=True)
class StatusChange:
    old: str
    new: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ClaimSection:
    """One claim's news in a digest; `status` and `counts` are as of the newest event."""

    claim_id: str
    text: str
    status: str
    counts: Counts
    changes: tuple[StatusChange, ...]
    evidence: tuple[EvidenceLine, ...]
    omitted_evidence: int = 0  # new evidence left out to keep the digest short


@dataclass(frozen=True, slots=True)
class FeedHealthLine:
    """A feed that started failing ("failing") or works again ("recovered")."""

    url: str  # credentials already redacted
    name: str | None
    state: str
    error: str | None
    failures: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    """Something about monitor itself, e.g. a channel disabled after its endpoint answered 410."""

    kind: str
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Digest:
    delivery_id: str
    channel_id: str
    created_at: datetime
    claims: tuple[ClaimSection, ...] = ()
    feeds: tuple[FeedHealthLine, ...] = ()
    notices: tuple[Notice, ...] = ()
    omitted_claims: int = 0
    event_count: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.claims or self.feeds or self.notices or self.omitted_claims)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": DIGEST_VERSION,
            "delivery_id": self.delivery_id,
            "channel": self.channel_id,
            "created_at": _iso(self.created_at),
            "event_count": self.event_count,
            "claims": [_claim_json(c) for c in self.claims],
            "omitted_claims": self.omitted_claims,
            "feeds": [
                {
                    "url": f.url,
                    "name": f.name,
                    "state": f.state,
                    "error": f.error,
                    "failures": f.failures,
                    "at": _iso(f.at),
                }
                for f in self.feeds
            ],
            "notices": [{"kind": n.kind, "text": n.text, "at": _iso(n.at)} for n in self.notices],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Digest:
        return cls(
            delivery_id=data["delivery_id"],
            channel_id=data["channel"],
            created_at=_when(data["created_at"]),  # type: ignore[arg-type]
            event_count=int(data.get("event_count", 0)),
            claims=tuple(_claim_from_json(c) for c in data.get("claims", ())),
            omitted_claims=int(data.get("omitted_claims", 0)),
            feeds=tuple(
                FeedHealthLine(
                    url=f["url"],
                    name=f.get("name"),
                    state=f["state"],
                    error=f.get("error"),
                    failures=int(f.get("failures", 0)),
                    at=_when(f["at"]),  # type: ignore[arg-type]
                )
                for f in data.get("feeds", ())
            ),
            notices=tuple(
                Notice(n["kind"], n["text"], _when(n["at"]))  # type: ignore[arg-type]
                for n in data.get("notices", ())
            ),
        )


def _claim_json(claim: ClaimSection) -> dict[str, Any]:
    return {
        "id": claim.claim_id,
        "text": claim.text,
        "status": claim.status,
        "counts": {
            "supports": claim.counts.supports,
            "refutes": claim.counts.refutes,
            "reports": claim.counts.reports,
        },
        "changes": [{"old": c.old, "new": c.new, "at": _iso(c.at)} for c in claim.changes],
        "evidence": [
            {
                "stance": e.stance,
                "confidence": round(e.confidence, 4),
                "quote": e.quote,
                "publisher": e.publisher,
                "title": e.title,
                "url": e.url,
                "published_at": _iso(e.published_at),
                "first_seen_at": _iso(e.first_seen_at),
                "via": e.via,
            }
            for e in claim.evidence
        ],
        "omitted_evidence": claim.omitted_evidence,
    }


def _claim_from_json(data: Mapping[str, Any]) -> ClaimSection:
    counts = data.get("counts", {})
    return ClaimSection(
        claim_id=data["id"],
        text=data["text"],
        status=data["status"],
        counts=Counts(
            int(counts.get("supports", 0)),
            int(counts.get("refutes", 0)),
            int(counts.get("reports", 0)),
        ),
        changes=tuple(
            StatusChange(c["old"], c["new"], _when(c["at"]))  # type: ignore[arg-type]
            for c in data.get("changes", ())
        ),
        evidence=tuple(
            EvidenceLine(
                stance=e["stance"],
                confidence=float(e["confidence"]),
                quote=e["quote"],
                publisher=e["publisher"],
                title=e.get("title"),
                url=e["url"],
                published_at=_when(e.get("published_at")),
                first_seen_at=_when(e["first_seen_at"]),  # type: ignore[arg-type]
                via=e.get("via"),
            )
            for e in data.get("evidence", ())
        ),
        omitted_evidence=int(data.get("omitted_evidence", 0)),
    )


def webhook_body(digest: Digest) -> bytes:
    """The webhook request body: Standard Webhooks' {type, timestamp, data} envelope, UTF-8 JSON.

    Deterministic for a given digest, so every attempt of one delivery posts the same bytes.
    """
    envelope = {
        "type": WEBHOOK_EVENT_TYPE,
        "version": DIGEST_VERSION,
        "timestamp": _iso(digest.created_at),
        "data": digest.to_json(),
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
