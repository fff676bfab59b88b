"""How `monitor check` shows results: a Rich table for people, a stable JSON object for tools."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.claim_updates import ClaimSummary
from monitor.domain import FeedOutcome, FeedPollResult
from monitor.urls import redact_url

# Version of the JSON object printed by `monitor check --json`; bumped on incompatible changes.
JSON_VERSION = 1

_STYLE = {
    FeedOutcome.OK: "green",
    FeedOutcome.DEGRADED: "yellow",
    FeedOutcome.NOT_MODIFIED: "dim",
    FeedOutcome.UNCHANGED: "dim",
    FeedOutcome.ERROR: "red",
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def claim_json(c: ClaimSummary) -> dict[str, Any]:
    return {
        "id": c.id,
        "status": c.status,
        "status_changed_at": _iso(c.status_changed_at),
        "counts": {"supports": c.supports, "refutes": c.refutes, "reports": c.reports},
    }


def check_json(
    results: Sequence[FeedPollResult], claims: Sequence[ClaimSummary] = ()
) -> dict[str, Any]:
    """The `--json` contract of DESIGN.md section 3 (keys are stable; see README)."""
    return {
        "version": JSON_VERSION,
        "feeds": [
            {
                "url": redact_url(r.url),
                "name": r.name,
                "status": r.outcome.value,
                "new_items": r.new_items,
                "error": r.error,
                "warning": r.warning,
            }
            for r in results
        ],
        "articles": [
            {
                "url": a.url,
                "title": a.title,
                "publisher": a.publisher,
                "published": _iso(a.published),
                "entities": list(a.entities),
                "feed_url": redact_url(r.url),
                "status": a.outcome.value,
                "story_cluster": a.cluster_id,
                "error": a.error,
            }
            for r in results
            for a in r.articles
        ],
        "evidence": [
            {
                "claim_id": e.claim_id,
                "article_url": e.article_url,
                "stance": e.stance,
                "confidence": e.confidence,
                "quote": e.quote,
            }
            for r in results
            for e in r.evidence
        ],
        "claims": [claim_json(c) for c in claims],
    }


def print_summary(console: Console, results: Sequence[FeedPollResult]) -> None:
    """One row per feed, then totals."""
    table = Table(title="monitor check", title_justify="left", expand=False)
    table.add_column("feed", overflow="fold", max_width=48)
    table.add_column("status")
    table.add_column("new", justify="right")
    table.add_column("stored", justify="right")
    table.add_column("detail", overflow="fold", max_width=60)
    for r in results:
        stored = sum(1 for a in r.articles if a.outcome.value == "stored")
        detail = r.error or r.warning or ""
        table.add_row(
            escape(r.name or redact_url(r.url)),
            f"[{_STYLE[r.outcome]}]{r.outcome.value}[/]",
            str(r.new_items),
            str(stored),
            escape(detail),
        )
    console.print(table)
    failed = sum(1 for r in results if r.outcome is FeedOutcome.ERROR)
    new = sum(r.new_items for r in results)
    judged = sum(len(r.evidence) for r in results)
    console.print(
        f"{len(results)} feeds polled, {failed} failed, {new} new items, "
        f"{judged} new claim judgements",
        highlight=False,
    )
