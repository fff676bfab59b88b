"""`monitor claims ...`: tracked claims with their status, and the evidence timeline of one."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from monitor.claim_updates import claim_summaries
from monitor.cli.common import (
    CommandError,
    config_option,
    database,
    load,
    out_console,
    watchlist_for,
)
from monitor.cli.propose import propose
from monitor.cli.report import claim_json
from monitor.db import claims as claim_rows
from monitor.domain import article_date
from monitor.errors import did_you_mean

_STANCE_STYLE = {"supports": "green", "refutes": "red", "reports": "cyan", "unrelated": "dim"}


@click.group("claims")
def claims_group() -> None:
    """Tracked claims and their evidence."""


@claims_group.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def claims_list(config_path: Path | None, as_json: bool) -> None:
    """Claims with their status and independent sources by stance."""
    loaded = load(config_path)
    with database(loaded) as db, db.sessions() as session:
        summaries = claim_summaries(session, watchlist_for(loaded))
    if as_json:
        click.echo(json.dumps([claim_json(c) for c in summaries], indent=2, ensure_ascii=False))
        return
    # Three columns, so that at 80 columns the claim keeps about half the width: its id on one
    # line, its text wrapped under it. The status cell carries when it last changed.
    table = Table(title=f"{len(summaries)} claims", title_justify="left", show_lines=True)
    table.add_column("claim", overflow="fold", ratio=1, min_width=24)
    table.add_column("status", no_wrap=True)
    table.add_column("sources", no_wrap=True)
    for c in summaries:
        changed = c.status_changed_at.strftime("%Y-%m-%d %H:%M") if c.status_changed_at else ""
        counts = (("supports", c.supports), ("refutes", c.refutes), ("reports", c.reports))
        table.add_row(
            f"[bold]{escape(c.id)}[/]\n{escape(c.text)}",
            c.status + (f"\n[dim]{changed}[/]" if changed else ""),
            "\n".join(f"{n} {stance}" if n else f"[dim]0 {stance}[/]" for stance, n in counts),
        )
    out_console.print(table)


@claims_group.command("show")
@config_option
@click.argument("claim_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def claims_show(config_path: Path | None, claim_id: str, as_json: bool) -> None:
    """The evidence timeline of one claim: stance, quote, publisher, date and link."""
    loaded = load(config_path)
    with database(loaded) as db, db.sessions() as session:
        claim = claim_rows.get_claim(session, claim_id)
        if claim is None:
            hint = did_you_mean(claim_id, (c.id for c in claim_rows.list_claims(session)))
            raise CommandError(f"no such claim: {claim_id}" + (f" ({hint})" if hint else ""))
        evidence = claim_rows.evidence_for(session, [claim_id])
        events = claim_rows.claim_events(session, claim_id)
    if as_json:
        payload = {
            "id": claim.id,
            "text": claim.text,
            "status": claim.status,
            "evidence": [
                {
                    "stance": e.stance,
                    "confidence": e.confidence,
                    "quote": e.quote,
                    "publisher": e.publisher,
                    "published": e.published_at.isoformat() if e.published_at else None,
                    "first_seen": e.fetched_at.isoformat(),
                    "url": e.url,
                    "story_cluster": e.cluster_id,
                    "model_version": e.model_version,
                }
                for e in evidence
            ],
            "events": [
                {
                    "kind": ev.kind,
                    "old_status": ev.old_status,
                    "new_status": ev.new_status,
                    "alert_worthy": ev.alert_worthy,
                    "at": ev.created_at.isoformat(),
                }
                for ev in events
            ],
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    out_console.print(f"[bold]{escape(claim.id)}[/] ({claim.status}): {escape(claim.text)}")
    table = Table(show_lines=True)
    for column in ("date", "stance", "publisher", "quote"):
        table.add_column(column, overflow="fold")
    for e in evidence:
        when = article_date(e.published_at, e.fetched_at).strftime("%Y-%m-%d")
        style = _STANCE_STYLE.get(e.stance, "")
        table.add_row(
            when,
            f"[{style}]{e.stance}[/] {e.confidence:.2f}",
            escape(e.publisher),
            f"{escape(e.quote)}\n[dim]{escape(e.url)}[/]",
        )
    out_console.print(table)


claims_group.add_command(propose)
