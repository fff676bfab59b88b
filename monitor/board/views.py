"""What the board shows, from stored records: claim rows, evidence with story clusters collapsed,
evidence per day and stance, feed health, pages of a list. Pure.

A claim's evidence is its own plus what linked (denying) claims' evidence says about it, turned
around by `monitor.evidence.effective_evidence`, so the list agrees with the counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from monitor.db.records import EvidenceRecord, FeedState
from monitor.domain import article_date, as_utc
from monitor.evidence import EvidenceItem, effective_evidence

CHARTED = ("supports", "refutes", "reports")
STANCES = (*CHARTED, "unrelated")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """A claim on the front page."""

    id: str
    text: str
    status: str
    supports: int
    refutes: int
    reports: int
    last_changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class EvidenceEntry:
    """One stored judgement as it bears on the claim shown (`via`: the linked claim it came from,
    its stance already turned around)."""

    record: EvidenceRecord
    stance: str
    via: str | None

    @property
    def when(self) -> datetime:
        """The article's date: published if known and not in the future, else when it was first
        fetched. Orders the evidence and places it on the timeline."""
        return article_date(self.record.published_at, self.record.fetched_at)

    @property
    def day(self) -> date:
        return as_utc(self.when).date()


@dataclass(frozen=True, slots=True)
class EvidenceGroup:
    """One story (cluster) with one stance: the first article seen, and its copies."""

    first: EvidenceEntry
    copies: tuple[EvidenceEntry, ...]


@dataclass(frozen=True, slots=True)
class DayCount:
    """Stories per stance on one day."""

    day: date
    supports: int
    refutes: int
    reports: int

    def count(self, stance: str) -> int:
        return int(getattr(self, stance))


def effective_entries(
    claim_id: str, records: Iterable[EvidenceRecord], denies: Mapping[str, tuple[str, ...]]
) -> list[EvidenceEntry]:
    """The evidence bearing on `claim_id` among `records` (its own and its linked claims')."""
    by_key: dict[tuple[str, int], EvidenceRecord] = {}
    items: dict[str, list[EvidenceItem]] = {}
    for record in records:
        by_key[(record.claim_id, record.article_id)] = record
        items.setdefault(record.claim_id, []).append(EvidenceItem.from_record(record))
    return [
        EvidenceEntry(
            record=by_key[(item.via or item.claim_id, item.article_id)],
            stance=item.stance.value,
            via=item.via,
        )
        for item in effective_evidence(claim_id, items, denies)
    ]


def newest_first(entries: Iterable[EvidenceEntry]) -> list[EvidenceEntry]:
    return sorted(entries, key=lambda e: (as_utc(e.when), e.record.id), reverse=True)


def filter_entries(
    entries: Iterable[EvidenceEntry],
    *,
    since: date | None = None,
    until: date | None = None,
    stance: str | None = None,
) -> list[EvidenceEntry]:
    """Entries dated from `since` to `until` (both days included, UTC) with `stance`."""
    return [
        e
        for e in entries
        if (since is None or e.day >= since)
        and (until is None or e.day <= until)
        and (stance is None or e.stance == stance)
    ]


def collapse_clusters(entries: Iterable[EvidenceEntry]) -> list[EvidenceGroup]:
    """One group per (story cluster, stance), in the order of each group's first entry; the
    group is shown as its earliest article, and an article judged both against the claim and a
    linked claim appears once."""
    groups: dict[tuple[int, str], dict[int, EvidenceEntry]] = {}
    for entry in entries:
        group = groups.setdefault((entry.record.cluster_id, entry.stance), {})
        group.setdefault(entry.record.article_id, entry)
    collapsed = []
    for group in groups.values():
        first, *copies = sorted(group.values(), key=lambda e: (as_utc(e.when), e.record.id))
        collapsed.append(EvidenceGroup(first=first, copies=tuple(copies)))
    return collapsed


def daily_counts(groups: Iterable[EvidenceGroup]) -> list[DayCount]:
    """Stories (collapsed clusters) per day and charted stance, oldest day first."""
    per_day: dict[date, dict[str, int]] = {}
    for group in groups:
        if group.first.stance in CHARTED:
            counts = per_day.setdefault(group.first.day, dict.fromkeys(CHARTED, 0))
            counts[group.first.stance] += 1
    return [DayCount(day, **counts) for day, counts in sorted(per_day.items())]


def page_of(items: Sequence[T], *, offset: int, limit: int) -> tuple[list[T], int | None]:
    """The items from `offset`, at most `limit`, and the offset of the next page (None: last)."""
    chunk = list(items[offset : offset + limit])
    following = offset + limit
    return chunk, following if following < len(items) else None


def last_change(
    status_changed_at: datetime | None, last_event_at: datetime | None
) -> datetime | None:
    """When a claim last changed: its last status change or new source, whichever is later."""
    known = [as_utc(t) for t in (status_changed_at, last_event_at) if t is not None]
    return max(known) if known else None


def feed_health(feed: FeedState) -> str:
    """'inactive', 'unchecked' (never polled), 'failing' (the last poll failed) or 'ok'."""
    if not feed.active:
        return "inactive"
    if feed.last_checked_at is None:
        return "unchecked"
    if feed.consecutive_failures > 0:
        return "failing"
    return "ok"
