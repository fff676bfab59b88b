"""Claim status from evidence: independent sources, linked claims, status rules, events. Pure.

Independent sources. Two pieces of evidence are *not* independent when they share a story cluster
(wire copies of one story, whichever sites carried it) or a publisher (two stories from one site).
The number of independent sources for a stance is the largest number of its evidence items that
can be cited together with no two sharing a cluster or a publisher. Each item is an edge between
its cluster and its publisher, so that number is the size of a maximum bipartite matching between
clusters and publishers; an item without a cluster is a cluster of its own. So a story carried by
five sites counts 1, two stories from one site count 1, and a wire story carried by the BBC plus
the BBC's and CNN's own reporting counts 2 (not 1, as merging everything connected would give,
and not 3: the BBC cannot stand for both the wire story and its own).

The claim's originating publisher does not corroborate itself: for *supports* only, its items and
every item in a cluster it carried are left out. Its refutations (a retraction) still count.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.stance.types import Stance

if TYPE_CHECKING:
    from monitor.db.records import EvidenceRecord


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One stored judgement of one article against one claim.

    `via` is None for a judgement made against `claim_id` itself; when the item was derived from a
    linked claim's evidence (see `effective_evidence`) it names that claim and `stance` is the
    stance towards `claim_id`, already turned around.
    """

    claim_id: str
    article_id: int
    cluster_id: int | None
    publisher: str
    stance: Stance
    confidence: float
    quote: str
    published_at: datetime | None
    first_seen_at: datetime
    via: str | None = None

    @classmethod
    def from_record(cls, record: EvidenceRecord) -> EvidenceItem:
        """A stored evidence row, read against its own claim."""
        return cls(
            claim_id=record.claim_id,
            article_id=record.article_id,
            cluster_id=record.cluster_id,
            publisher=record.publisher,
            stance=Stance(record.stance),
            confidence=record.confidence,
            quote=record.quote,
            published_at=record.published_at,
            first_seen_at=record.fetched_at,
        )


class ClaimStatus(enum.StrEnum):
    """Where a claim stands; `derive_status` says how it is decided."""

    OPEN = "open"
    CORROBORATED = "corroborated"
    DISPUTED = "disputed"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class SourceCounts:
    """Independent sources per stance (see the module docstring for what one source is)."""

    supports: int = 0
    refutes: int = 0
    reports: int = 0


_COUNTED = (Stance.SUPPORTS, Stance.REFUTES, Stance.REPORTS)
_FLIPPED = {Stance.SUPPORTS: Stance.REFUTES, Stance.REFUTES: Stance.SUPPORTS}


class _SourceMatching:
    """A maximum matching between story clusters and publishers that grows one item at a time."""

    def __init__(self) -> None:
        self._edges: dict[tuple[str, object], set[str]] = {}
        self._cluster_of: dict[str, tuple[str, object]] = {}  # publisher -> matched cluster
        self._free: dict[tuple[str, object], None] = {}  # unmatched clusters, in arrival order
        self.size = 0

    def add(self, item: EvidenceItem) -> bool:
        """Add one item; True when the number of independent sources grew.

        The matching was maximum before, so a new augmenting path must use the new edge; when the
        item's cluster is unmatched, that path starts there and one search from it settles it.
        """
        cluster, publisher = _cluster_key(item), item.publisher.lower()
        publishers = self._edges.setdefault(cluster, set())
        if publisher in publishers:
            return False
        if not publishers:
            self._free[cluster] = None
        publishers.add(publisher)
        seen: set[tuple[str, object]] = set()
        starts = [cluster] if cluster in self._free else list(self._free)
        for start in starts:
            if self._augment(start, seen):
                del self._free[start]
                self.size += 1
                return True
        return False

    def _augment(self, start: tuple[str, object], seen: set[tuple[str, object]]) -> bool:
        """Find an augmenting path from the free cluster `start` (iterative depth-first search)."""
        if start in seen:
            return False
        seen.add(start)
        stack = [(start, iter(self._edges[start]))]
        taken: list[str] = []  # taken[i] is matched to stack[i + 1] and leads down to it
        while stack:
            publishers = stack[-1][1]
            for publisher in publishers:
                holder = self._cluster_of.get(publisher)
                if holder is None:
                    for (on_path, _), gained in zip(stack, [*taken, publisher], strict=True):
                        self._cluster_of[gained] = on_path
                    return True
                if holder not in seen:
                    seen.add(holder)
                    taken.append(publisher)
                    stack.append((holder, iter(self._edges[holder])))
                    break
            else:
                stack.pop()
                if taken:
                    taken.pop()
        return False


def _cluster_key(item: EvidenceItem) -> tuple[str, object]:
    return ("article", item.article_id) if item.cluster_id is None else ("cluster", item.cluster_id)


def _order(item: EvidenceItem) -> tuple[datetime, int, str]:
    return (item.first_seen_at, item.article_id, item.via or "")


def _countable(
    items: Sequence[EvidenceItem], origin_publisher: str | None
) -> dict[Stance, list[EvidenceItem]]:
    """Items per counted stance, in arrival order, origin's own support left out."""
    by_stance: dict[Stance, list[EvidenceItem]] = {stance: [] for stance in _COUNTED}
    origin = origin_publisher.lower() if origin_publisher else None
    origin_clusters = {e.cluster_id for e in items if origin and e.publisher.lower() == origin}
    origin_clusters.discard(None)
    for item in sorted(items, key=_order):
        from_origin = item.publisher.lower() == origin or item.cluster_id in origin_clusters
        if item.stance in by_stance and not (item.stance is Stance.SUPPORTS and from_origin):
            by_stance[item.stance].append(item)
    return by_stance


def count_sources(
    items: Iterable[EvidenceItem], *, origin_publisher: str | None = None
) -> SourceCounts:
    """Independent sources per stance among `items`; UNRELATED items are ignored.

    `origin_publisher` (a registrable domain such as "wsj.com") is the claim's originating source;
    its items, and items in clusters it carried, do not count as support.
    """
    sizes = []
    for stance_items in _countable(list(items), origin_publisher).values():
        matching = _SourceMatching()
        for item in stance_items:
            matching.add(item)
        sizes.append(matching.size)
    return SourceCounts(*sizes)  # _COUNTED order: supports, refutes, reports


def effective_evidence(
    claim_id: str,
    items_by_claim: Mapping[str, Sequence[EvidenceItem]],
    denies: Mapping[str, tuple[str, ...]],
) -> list[EvidenceItem]:
    """The evidence that bears on `claim_id`: its own plus what its denying claims' evidence says.

    Claims A and B are linked when A lists B in `denies` or B lists A (one hop only: a claim that
    denies a denier is not thereby supported). An item that SUPPORTS a linked claim REFUTES this
    one, and one that REFUTES a linked claim SUPPORTS this one; REPORTS and UNRELATED items of a
    linked claim are dropped (reporting one claim is not reporting the other). Derived items carry
    `claim_id`, the turned stance, and `via` naming the linked claim. Own items come first.
    """
    linked = set(denies.get(claim_id, ()))
    linked.update(other for other, targets in denies.items() if claim_id in targets)
    linked.discard(claim_id)
    result = list(items_by_claim.get(claim_id, ()))
    for other in sorted(linked):
        for item in items_by_claim.get(other, ()):
            turned = _FLIPPED.get(item.stance)
            if turned is not None:
                result.append(replace(item, claim_id=claim_id, stance=turned, via=other))
    return result


def derive_status(counts: SourceCounts, *, corroborate_at: int = 2) -> ClaimStatus:
    """A claim's status from its independent sources (origin already left out of `counts`).

    | supports            | refutes | status       |
    |---------------------|---------|--------------|
    | < corroborate_at    | 0       | OPEN         |
    | >= corroborate_at   | 0       | CORROBORATED |
    | 0                   | >= 1    | DENIED       |
    | >= 1                | >= 1    | DISPUTED     |

    Reports never move a claim: relaying a claim is not evidence for it. One refutation is enough
    to dispute or deny: a first-hand denial by a party is news a journalist wants to see.
    """
    if corroborate_at < 1:
        raise ValueError(f"corroborate_at must be at least 1, got {corroborate_at!r}")
    if counts.refutes == 0:
        return ClaimStatus.CORROBORATED if counts.supports >= corroborate_at else ClaimStatus.OPEN
    return ClaimStatus.DISPUTED if counts.supports >= 1 else ClaimStatus.DENIED


@dataclass(frozen=True, slots=True)
class ClaimView:
    """A claim's evidence and the status and counts derived from it, at one moment."""

    status: ClaimStatus
    counts: SourceCounts
    evidence: tuple[EvidenceItem, ...] = ()
    origin_publisher: str | None = None


def view_claim(
    evidence: Iterable[EvidenceItem],
    *,
    origin_publisher: str | None = None,
    corroborate_at: int = 2,
) -> ClaimView:
    """Count `evidence` (usually `effective_evidence(...)`) and derive the claim's status."""
    items = tuple(evidence)
    counts = count_sources(items, origin_publisher=origin_publisher)
    status = derive_status(counts, corroborate_at=corroborate_at)
    return ClaimView(status, counts, items, origin_publisher)


EMPTY_VIEW = ClaimView(ClaimStatus.OPEN, SourceCounts())


class ClaimEventKind(enum.StrEnum):
    STATUS_CHANGED = "status_changed"
    NEW_SUPPORTING_SOURCE = "new_supporting_source"
    NEW_REFUTING_SOURCE = "new_refuting_source"


@dataclass(frozen=True, slots=True)
class ClaimEvent:
    """Something about a claim worth recording for the digest.

    `evidence` is the item that added the source (None for status changes). `backfill` marks
    events found by checking a claim against articles already stored.
    """

    kind: ClaimEventKind
    claim_id: str
    old_status: ClaimStatus
    new_status: ClaimStatus
    alert_worthy: bool
    backfill: bool = False
    evidence: EvidenceItem | None = None


_CHANGED = ClaimEventKind.STATUS_CHANGED
_SOURCE_EVENTS = {
    Stance.SUPPORTS: ClaimEventKind.NEW_SUPPORTING_SOURCE,
    Stance.REFUTES: ClaimEventKind.NEW_REFUTING_SOURCE,
}


def _identity(item: EvidenceItem) -> tuple[int, str | None, Stance]:
    return (item.article_id, item.via, item.stance)


def diff_events(
    claim_id: str,
    before: ClaimView,
    after: ClaimView,
    *,
    backfill: bool = False,
    alert_on_backfill: bool = False,
) -> list[ClaimEvent]:
    """The events between two views of one claim: a status change first, then new sources.

    Starting from the items of `before` still in `after`, the items new in `after` are added in
    arrival order (first_seen_at, then article id); each one that raises the number of independent
    supporting or refuting sources is one event, so a further wire copy or a second story from a
    publisher already counted is none, and re-diffing the same views gives the same events. New
    reporting sources are not events. Every event is alert-worthy, except that with
    `backfill=True` (old articles checked against a new or edited claim) none is unless
    `alert_on_backfill`.
    """
    alert = alert_on_backfill or not backfill
    old, new = before.status, after.status
    events = [] if old == new else [ClaimEvent(_CHANGED, claim_id, old, new, alert, backfill)]
    known = {_identity(item) for item in before.evidence}
    countable = _countable(list(after.evidence), after.origin_publisher)
    for stance, kind in _SOURCE_EVENTS.items():
        matching = _SourceMatching()
        fresh = [item for item in countable[stance] if _identity(item) not in known]
        for item in countable[stance]:
            if _identity(item) in known:
                matching.add(item)
        events += [
            ClaimEvent(kind, claim_id, old, new, alert, backfill, evidence=item)
            for item in fresh
            if matching.add(item)
        ]
    return events
