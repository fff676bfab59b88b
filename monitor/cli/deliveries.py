"""`monitor digest` (preview or send digests) and `monitor deliveries` (list, retry, enable)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from monitor.app import Database, open_sender, utc_now
from monitor.cli.common import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    CommandError,
    config_option,
    database,
    err_console,
    load,
    out_console,
)
from monitor.config_loader import LoadedConfig
from monitor.db import deliveries as delivery_rows
from monitor.db import outbox
from monitor.db.records import DeliveryRecord
from monitor.delivery import SendResult, channels_from_settings, cut_due_digests, preview_digests
from monitor.digest.render import render_html, render_subject, render_text
from monitor.notify.base import Verdict


def deliver_now(loaded: LoadedConfig, db: Database) -> list[SendResult]:
    """Cut the digests that are due, then send every delivery that is due."""
    channels = channels_from_settings(loaded.settings)
    if not channels:
        return []
    with db.sessions.begin() as session:
        cut_due_digests(session, loaded.settings, channels, now=utc_now())

    async def send() -> list[SendResult]:
        async with open_sender(loaded.settings, db) as sender:
            return await sender.send_due()

    return asyncio.run(send())


def print_send_results(results: Sequence[SendResult]) -> None:
    for r in results:
        verdict = r.outcome.verdict
        if verdict is Verdict.SENT:
            line = f"[green]sent[/] {r.delivery_id} to {escape(r.channel_id)}"
        elif verdict is Verdict.RETRY and not r.dead:
            line = f"[yellow]will retry[/] {r.delivery_id} to {escape(r.channel_id)}"
        else:
            line = f"[red]failed[/] {r.delivery_id} to {escape(r.channel_id)}"
        if r.outcome.error:
            line += f": {escape(r.outcome.error)}"
        err_console.print(line, highlight=False, soft_wrap=True)


def results_json(results: Sequence[SendResult]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.delivery_id,
            "channel": r.channel_id,
            "attempt": r.attempt,
            "result": "dead" if r.dead else r.outcome.verdict.value,
            "error": r.outcome.error,
        }
        for r in results
    ]


@click.command()
@config_option
@click.option("--dry-run", "mode", flag_value="dry-run", default=True, help="Show, send nothing.")
@click.option("--send", "mode", flag_value="send", help="Send the digests that are due now.")
@click.option(
    "--html",
    "html_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --dry-run: also write each digest's HTML part to DIR/<channel>.html.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def digest(config_path: Path | None, mode: str, html_dir: Path | None, as_json: bool) -> None:
    """Show what each channel would be sent now (--dry-run), or send due digests (--send)."""
    loaded = load(config_path)
    if not loaded.settings.channels:
        raise CommandError("no channels configured: add [[channels]] to the config")
    with database(loaded) as db:
        if mode == "send":
            results = deliver_now(loaded, db)
            if as_json:
                click.echo(json.dumps({"deliveries": results_json(results)}, indent=2))
            elif not results:
                err_console.print("nothing to send")
            else:
                print_send_results(results)
            failed = any(r.outcome.verdict is not Verdict.SENT for r in results)
            raise SystemExit(EXIT_SOME_FAILED if failed else EXIT_OK)
        channels = channels_from_settings(loaded.settings)
        with db.sessions() as session:
            plans = preview_digests(session, loaded.settings, channels, now=utc_now())
    if as_json:
        previews = [
            {
                "channel": p.channel.id,
                "due": p.due,
                "next_at": _iso(p.next_at),
                "subject": render_subject(p.digest),
                "digest": p.digest.to_json(),
            }
            for p in plans
        ]
        click.echo(json.dumps({"digests": previews}, ensure_ascii=False, indent=2))
        return
    if not plans:
        err_console.print("nothing to send: no channel has news")
    for plan in plans:
        when = "due now" if plan.due else f"next at {_iso(plan.next_at)}"
        settings = plan.channel.settings
        out_console.rule(f"{settings.id} ({settings.type}, {settings.schedule}): {when}")
        out_console.print(f"Subject: {render_subject(plan.digest)}", markup=False)
        out_console.print(render_text(plan.digest), markup=False, highlight=False)
        if html_dir is not None:
            html_dir.mkdir(parents=True, exist_ok=True)
            target = html_dir / f"{settings.id}.html"
            target.write_text(render_html(plan.digest), encoding="utf-8")
            err_console.print(f"wrote {target}", highlight=False)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@click.group("deliveries", invoke_without_command=True)
@config_option
@click.pass_context
def deliveries_group(ctx: click.Context, config_path: Path | None) -> None:
    """Digests sent, waiting or failed; retry by hand; re-enable a channel.

    Without a subcommand: `list`."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_command, config_path=config_path)


def _delivery_json(d: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": d.id,
        "channel": d.channel_id,
        "status": d.status,
        "events": d.event_count,
        "attempts": d.attempts,
        "created_at": _iso(d.created_at),
        "next_attempt_at": _iso(d.next_attempt_at) if d.status == "pending" else None,
        "sent_at": _iso(d.sent_at),
        "last_error": d.last_error,
    }


@deliveries_group.command("list")
@config_option
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["pending", "sent", "dead"]),
    help="Only deliveries in this state; repeatable.",
)
@click.option("--channel", "channel_id", help="Only this channel's deliveries.")
@click.option("--limit", default=50, show_default=True, help="Newest N deliveries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(
    config_path: Path | None,
    statuses: tuple[str, ...],
    channel_id: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List deliveries (newest first) and each channel's health."""
    loaded = load(config_path)
    with database(loaded) as db, db.sessions() as session:
        states = outbox.channel_states(session)
        rows = delivery_rows.list_deliveries(
            session, statuses=statuses, channel_id=channel_id, limit=limit
        )
    configured = {c.id: c for c in loaded.settings.channels}
    health = [
        {
            "channel": cid,
            "type": configured[cid].type if cid in configured else None,
            "configured": cid in configured,
            "failing_since": _iso(s.failing_since),
            "last_error": s.last_error,
            "disabled_at": _iso(s.disabled_at),
            "disabled_reason": s.disabled_reason,
        }
        for cid, s in sorted(states.items())
    ]
    if as_json:
        document = {"channels": health, "deliveries": [_delivery_json(d) for d in rows]}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    for cid, s in sorted(states.items()):
        kind = configured[cid].type if cid in configured else "removed"
        if s.disabled_at is not None:
            state = (
                f"[red]disabled since {_iso(s.disabled_at)}[/]: {escape(s.disabled_reason or '')}"
            )
        elif s.failing_since is not None:
            state = (
                f"[yellow]degraded since {_iso(s.failing_since)}[/]: {escape(s.last_error or '')}"
            )
        else:
            state = "[green]ok[/]"
        out_console.print(f"{escape(cid)} ({kind}): {state}", highlight=False, soft_wrap=True)
    # Three columns, so that at 80 columns a delivery's id (for `deliveries retry`) stays on one
    # line, with its channel, events and last error under it.
    table = Table(title=f"{len(rows)} deliveries", title_justify="left", show_lines=True)
    table.add_column("delivery", overflow="fold", ratio=1, min_width=32)
    table.add_column("status", no_wrap=True)
    table.add_column("when", no_wrap=True)
    for d in rows:
        when = (d.sent_at if d.status == "sent" else d.next_attempt_at) or d.created_at
        style = {"sent": "green", "pending": "yellow", "dead": "red"}[d.status]
        events = f"{d.event_count} event" + ("s" if d.event_count != 1 else "")
        error = f"\n[red]{escape(d.last_error)}[/]" if d.last_error else ""
        attempts = f"{d.attempts} attempt" + ("s" if d.attempts != 1 else "")
        table.add_row(
            f"[bold]{d.id}[/]\n{escape(d.channel_id)}, {events}{error}",
            f"[{style}]{d.status}[/]\n[dim]{attempts}[/]",
            when.strftime("%Y-%m-%d %H:%M") if d.status != "dead" else "",
        )
    out_console.print(table)


@deliveries_group.command("retry")
@config_option
@click.argument("delivery_ids", nargs=-1)
@click.option("--all-dead", is_flag=True, help="Retry every dead delivery.")
def retry_command(config_path: Path | None, delivery_ids: tuple[str, ...], all_dead: bool) -> None:
    """Put dead deliveries back in line, due now (send them with `monitor digest --send`)."""
    if not delivery_ids and not all_dead:
        raise CommandError("name one or more delivery ids, or use --all-dead")
    loaded = load(config_path)
    now = utc_now()
    with database(loaded) as db, db.sessions.begin() as session:
        ids = list(delivery_ids)
        if all_dead:
            ids += [
                d.id
                for d in delivery_rows.list_deliveries(session, statuses=("dead",), limit=10_000)
            ]
        missing = [i for i in ids if not delivery_rows.retry_by_hand(session, i, now=now)]
        if missing:
            raise CommandError(f"no such unsent delivery: {', '.join(missing)}")
    err_console.print(f"{len(ids)} deliveries queued again")


@deliveries_group.command("enable")
@config_option
@click.argument("channel_id")
def enable_command(config_path: Path | None, channel_id: str) -> None:
    """Re-enable a channel disabled after its endpoint answered 410 Gone."""
    loaded = load(config_path)
    if channel_id not in {c.id for c in loaded.settings.channels}:
        raise CommandError(f"no channel {channel_id!r} in the config")
    with database(loaded) as db, db.sessions.begin() as session:
        if not outbox.set_channel_disabled(session, channel_id, at=None, reason=None):
            raise CommandError(f"channel {channel_id!r} has no state yet")
    err_console.print(f"channel {channel_id} enabled")
