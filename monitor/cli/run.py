"""`monitor run`: the long-running daemon (poll due feeds, send due digests) until SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import click

from monitor.app import database_url
from monitor.cli.common import config_option, database, load, watchlist_for
from monitor.instance_lock import hold_instance_lock
from monitor.logging_setup import configure_logging
from monitor.worker import run_daemon


@click.command()
@config_option
@click.option("--once", is_flag=True, help="Run one tick (poll what is due, send), then exit.")
def run(config_path: Path | None, once: bool) -> None:
    """Run the daemon: every [daemon] tick, poll the feeds that are due and send the digests
    that are due, until SIGTERM or Ctrl-C. Several workers may share one PostgreSQL database;
    only one may use a SQLite file."""
    loaded = load(config_path)
    daemon = loaded.settings.daemon
    verbose = logging.getLogger().getEffectiveLevel() < logging.INFO
    configure_logging(daemon.log_format, level=logging.DEBUG if verbose else logging.INFO)
    with hold_instance_lock(database_url(loaded.settings, os.environ)), database(loaded) as db:
        code = asyncio.run(
            run_daemon(loaded.settings, db, watchlist=watchlist_for(loaded), once=once)
        )
    raise SystemExit(code)
