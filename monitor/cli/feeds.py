"""`monitor feeds ...`: add, list, remove, import and export the feeds besides the config's."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from monitor.app import utc_now
from monitor.cli.common import CommandError, config_option, database, err_console, load, out_console
from monitor.db import FeedState
from monitor.db import feeds as feed_rows
from monitor.domain import FeedSpec
from monitor.opml import read_opml, write_opml
from monitor.settings import parse_duration
from monitor.urls import UnsafeURLError, check_url, redact_url


@click.group("feeds")
def feeds_group() -> None:
    """Feeds: those from the config file plus those added here."""


def _valid_url(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return check_url(value)
    except UnsafeURLError as exc:
        raise click.BadParameter(str(exc)) from None


def _interval(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return round(parse_duration(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@feeds_group.command("add")
@config_option
@click.argument("url", callback=_valid_url)
@click.option("--name", help="Display name.")
@click.option("--interval", callback=_interval, help="Poll interval, e.g. 15m (default: config).")
def feeds_add(config_path: Path | None, url: str, name: str | None, interval: int | None) -> None:
    """Add a feed to poll."""
    with database(load(config_path)) as db, db.sessions.begin() as session:
        if feed_rows.get_feed(session, url) is not None:
            raise CommandError(f"feed already exists: {redact_url(url)}")
        feed_rows.add_feed(session, FeedSpec(url, name, interval), source="cli", now=utc_now())
    out_console.print(f"added {escape(redact_url(url))}", highlight=False)


@feeds_group.command("remove")
@config_option
@click.argument("url")
def feeds_remove(config_path: Path | None, url: str) -> None:
    """Stop polling a feed and forget its items (articles stay)."""
    loaded = load(config_path)
    if any(f.url == url for f in loaded.settings.feeds):
        where = loaded.path or "the bundled config"
        raise CommandError(f"{redact_url(url)} is listed in {where}; remove it there")
    with database(loaded) as db, db.sessions.begin() as session:
        if not feed_rows.remove_feed(session, url):
            raise CommandError(f"no such feed: {redact_url(url)}")
    out_console.print(f"removed {escape(redact_url(url))}", highlight=False)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _health(feed: FeedState) -> str:
    if not feed.active:
        return "inactive"
    if feed.consecutive_failures:
        return f"failing ({feed.consecutive_failures}x)"
    if feed.warning:
        return "degraded"
    return "ok" if feed.last_success_at else "new"


@feeds_group.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def feeds_list(config_path: Path | None, as_json: bool) -> None:
    """List feeds with their health."""
    loaded = load(config_path)
    with database(loaded) as db, db.sessions() as session:
        feeds = feed_rows.list_feeds(session)
    if as_json:
        click.echo(json.dumps([_feed_json(f) for f in feeds], indent=2, ensure_ascii=False))
        return
    # Three columns, so that at 80 columns the feed keeps about half the width: its name, its
    # url and its last error, one under the other.
    table = Table(title=f"{len(feeds)} feeds", title_justify="left", show_lines=True)
    table.add_column("feed", overflow="fold", ratio=1, min_width=24)
    table.add_column("health", no_wrap=True)
    table.add_column("checks", no_wrap=True)
    for f in feeds:
        error = f"\n[red]{escape(f.last_error)}[/]" if f.last_error else ""
        table.add_row(
            escape(f.name or redact_url(f.url)) + f"\n[dim]{escape(redact_url(f.url))}[/]" + error,
            f"{_health(f)}\n[dim]{f.source}[/]",
            f"last ok {_when(f.last_success_at)}\nnext    {_when(f.next_check_at)}",
        )
    out_console.print(table)


def _feed_json(f: FeedState) -> dict[str, object]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "url": redact_url(f.url),
        "name": f.name,
        "source": f.source,
        "active": f.active,
        "health": _health(f),
        "interval_s": f.interval_s,
        "last_success_at": iso(f.last_success_at),
        "last_checked_at": iso(f.last_checked_at),
        "next_check_at": iso(f.next_check_at),
        "consecutive_failures": f.consecutive_failures,
        "last_error": f.last_error,
        "warning": f.warning,
    }


@feeds_group.command("import")
@config_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def feeds_import(config_path: Path | None, file: Path) -> None:
    """Add the feeds of an OPML file (feeds already present are left as they are)."""
    specs, warnings = read_opml(file.read_bytes())
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}")
    added = 0
    with database(load(config_path)) as db, db.sessions.begin() as session:
        for spec in specs:
            if feed_rows.get_feed(session, spec.url) is None:
                feed_rows.add_feed(session, spec, source="opml", now=utc_now())
                added += 1
    out_console.print(
        f"imported {added} new feeds ({len(specs) - added} already present)", highlight=False
    )


@feeds_group.command("export")
@config_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
def feeds_export(config_path: Path | None, file: Path | None) -> None:
    """Write all active feeds as OPML (to FILE, or stdout)."""
    with database(load(config_path)) as db, db.sessions() as session:
        feeds = feed_rows.list_feeds(session, active_only=True)
    data = write_opml(FeedSpec(f.url, f.name) for f in feeds if "://" in f.url)
    if file is None:
        click.echo(data.decode("utf-8"))
    else:
        file.write_bytes(data)
        err_console.print(f"wrote {len(feeds)} feeds to {file}", highlight=False)
