"""Reads what one board request shows, through one read-only session. Database.

The HTML pages and the JSON API share these, so both show the same numbers. Claim counts and
statuses come from `claim_summaries` (what `monitor claims list` prints); a claim's evidence from
`evidence_for` and `claim_events` (what `monitor claims show` prints), linked claims included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from monitor.board.views import (
    ClaimRow,
    EvidenceEntry,
    effective_entries,
    last_change,
    newest_first,
)
from monitor.claim_updates import claim_summaries
from monitor.db import board as board_rows
from monitor.db import claims as claim_rows
from monitor.db.records import ClaimEventRecord
from monitor.watchlist import Watchlist


@dataclass(frozen=True)
class BoardContext:
    """What every request needs: built once by `create_app`."""

    sessions: sessionmaker[Session]
    watchlist: Watchlist
    page_size: int

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session that is rolled back at the end: the board never writes."""
        with self.sessions() as session:
            try:
                yield session
            finally:
                session.rollback()


@dataclass(frozen=True)
class ClaimDetail:
    row: ClaimRow
    source: str | None
    entities: tuple[str, ...]
    denies: tuple[str, ...]
    entries: list[EvidenceEntry]  # newest first
    events: list[ClaimEventRecord]


def claim_rows_now(session: Session, watchlist: Watchlist) -> list[ClaimRow]:
    """Every active claim with its status, independent source counts and last change."""
    last_events = board_rows.last_claim_events(session)
    return [
        ClaimRow(
            id=s.id,
            text=s.text,
            status=s.status,
            supports=s.supports,
            refutes=s.refutes,
            reports=s.reports,
            last_changed_at=last_change(s.status_changed_at, last_events.get(s.id)),
        )
        for s in claim_summaries(session, watchlist)
    ]


def claim_detail(session: Session, watchlist: Watchlist, claim_id: str) -> ClaimDetail | None:
    """One active claim with its evidence (newest first) and events; None when unknown."""
    claim = claim_rows.get_claim(session, claim_id)
    rows = {row.id: row for row in claim_rows_now(session, watchlist)}
    if claim is None or claim_id not in rows:
        return None
    denies = watchlist.denies
    linked = set(denies.get(claim_id, ())) | {c for c, ds in denies.items() if claim_id in ds}
    records = claim_rows.evidence_for(session, sorted({claim_id, *linked}))
    return ClaimDetail(
        row=rows[claim_id],
        source=claim.source,
        entities=claim.entities,
        denies=claim.denies,
        entries=newest_first(effective_entries(claim_id, records, denies)),
        events=claim_rows.claim_events(session, claim_id),
    )
