"""Pieces every command shares: the --config option, loading settings, opening the database."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from monitor.app import Database, database_url, open_database, utc_now
from monitor.claim_updates import sync_and_backfill
from monitor.config_loader import LoadedConfig, load_config
from monitor.db import feeds as feed_rows
from monitor.delivery import channels_from_settings, register_channels
from monitor.domain import FeedSpec
from monitor.versions import check_versions
from monitor.watchlist import Watchlist

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_FATAL = 2

err_console = Console(stderr=True)
out_console = Console()

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """A command cannot do what was asked; exits with EXIT_FATAL."""

    exit_code = EXIT_FATAL


def config_option(func: F) -> F:
    """Add `--config PATH` to a command."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Config file (default: $MONITOR_CONFIG, ./config/monitor.toml, the user config "
        "directory, then the bundled example).",
    )(func)


def load(config_path: Path | None) -> LoadedConfig:
    """Check library versions, load the configuration, print its warnings on stderr."""
    for warning in check_versions():
        log.info("%s", warning)
    loaded = load_config(config_path, env=os.environ, cwd=Path.cwd())
    for warning in loaded.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    return loaded


_WATCHLISTS: dict[int, tuple[LoadedConfig, Watchlist]] = {}


def watchlist_for(loaded: LoadedConfig) -> Watchlist:
    """The watchlist of this configuration, built once per command (the claim index of a large
    watchlist takes a while to build)."""
    cached = _WATCHLISTS.get(id(loaded))
    if cached is None or cached[0] is not loaded:
        cached = (loaded, Watchlist.from_settings(loaded.settings))
        _WATCHLISTS[id(loaded)] = cached
    return cached[1]


@contextlib.contextmanager
def database(loaded: LoadedConfig) -> Iterator[Database]:
    """The configured database, upgraded to the current schema, its feeds synced to the config."""
    with open_database(database_url(loaded.settings, os.environ)) as db:
        specs = [FeedSpec(f.url, f.name, _seconds(f.interval)) for f in loaded.settings.feeds]
        settings = loaded.settings
        with db.sessions.begin() as session:
            feed_rows.sync_config_feeds(session, specs, now=utc_now())
            sync_and_backfill(
                session,
                watchlist_for(loaded),
                settings.claims,
                settings.entities,
                now=utc_now(),
            )
            register_channels(session, channels_from_settings(settings), now=utc_now())
        yield db


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)
