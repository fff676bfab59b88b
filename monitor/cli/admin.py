"""`monitor db ...` and `monitor config ...`: schema upgrades and configuration checks."""

from __future__ import annotations

import os
from pathlib import Path

import click

from monitor.app import database_url, open_database
from monitor.cli.common import config_option, err_console, load, out_console
from monitor.config_loader import render_redacted
from monitor.db.migrate import current_revision, head_revision
from monitor.urls import redact_url
from monitor.versions import check_versions


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@config_option
def db_upgrade(config_path: Path | None) -> None:
    """Upgrade the database schema to this version of monitor (also done on every start)."""
    loaded = load(config_path)
    url = database_url(loaded.settings, os.environ)
    with open_database(url) as db:
        revision = current_revision(db.engine)
    out_console.print(f"database {redact_url(url)} is at revision {revision}", highlight=False)


@db_group.command("status")
@config_option
def db_status(config_path: Path | None) -> None:
    """Show the schema revision of the database and of this version of monitor."""
    loaded = load(config_path)
    url = database_url(loaded.settings, os.environ)
    with open_database(url, migrate=False) as db:
        revision = current_revision(db.engine)
    head = head_revision()
    state = "up to date" if revision == head else "needs `monitor db upgrade`"
    out_console.print(
        f"database {redact_url(url)}: revision {revision or 'none'}; code: {head} ({state})",
        highlight=False,
    )


@click.group("config")
def config_group() -> None:
    """Configuration."""


@config_group.command("show")
@config_option
def config_show(config_path: Path | None) -> None:
    """Print the effective configuration, secrets redacted."""
    loaded = load(config_path)
    where = loaded.path if loaded.path is not None else "bundled example"
    click.echo(f"# from {where} ({loaded.source})")
    click.echo(render_redacted(loaded.settings))


@config_group.command("check")
@config_option
def config_check(config_path: Path | None) -> None:
    """Validate the configuration and exit 0 if it can be used."""
    loaded = load(config_path)
    for warning in check_versions():
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    settings = loaded.settings
    where = loaded.path if loaded.path is not None else "bundled example"
    out_console.print(
        f"{where}: ok ({len(settings.feeds)} feeds, {len(settings.entities)} entities, "
        f"{len(settings.claims)} claims)",
        highlight=False,
    )
