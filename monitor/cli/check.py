"""`monitor check`: poll feeds now, store what is new, and print what was found."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.app import Database, Services, file_feed_url, open_services, utc_now
from monitor.claim_updates import claim_summaries
from monitor.cli.common import (
    EXIT_FATAL,
    EXIT_OK,
    EXIT_SOME_FAILED,
    config_option,
    database,
    err_console,
    load,
    out_console,
    watchlist_for,
)
from monitor.cli.deliveries import deliver_now, print_send_results, results_json
from monitor.cli.report import check_json, print_summary
from monitor.config_loader import LoadedConfig
from monitor.db import FeedState
from monitor.db import feeds as feed_rows
from monitor.domain import FeedOutcome, FeedPollResult, FeedSpec, FetchResult, FetchStatus
from monitor.pipeline import FeedBodySource, poll_feeds
from monitor.urls import UnsafeURLError, check_url


@click.command()
@config_option
@click.option(
    "--feed",
    "feed_args",
    multiple=True,
    metavar="URL|FILE",
    help="Poll only this feed (a URL, or a local feed file); repeatable.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
@click.option(
    "--no-send",
    is_flag=True,
    help="Send no digests now; what was found waits for the next send.",
)
def check(
    config_path: Path | None, feed_args: tuple[str, ...], as_json: bool, no_send: bool
) -> None:
    """Poll every configured feed now (or only --feed), store new articles, and send the
    digests that are due."""
    loaded = load(config_path)
    with database(loaded) as db:
        feeds, sources = _select_feeds(db, feed_args)
        if not feeds:
            err_console.print("no feeds to poll: add [[feeds]] to the config or use --feed")
            raise SystemExit(EXIT_FATAL)
        results = asyncio.run(_run(loaded, db, feeds, sources, progress=not as_json))
        with db.sessions() as session:
            claims = claim_summaries(session, watchlist_for(loaded))
        sent = [] if no_send else deliver_now(loaded, db)
    if as_json:
        document = check_json(results, claims)
        document["deliveries"] = results_json(sent)
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print_summary(out_console, results)
        print_send_results(sent)
    raise SystemExit(exit_code(results))


def exit_code(results: Sequence[FeedPollResult]) -> int:
    failed = sum(1 for r in results if r.outcome is FeedOutcome.ERROR)
    if failed == 0:
        return EXIT_OK
    return EXIT_FATAL if failed == len(results) else EXIT_SOME_FAILED


def _select_feeds(
    db: Database, feed_args: Sequence[str]
) -> tuple[list[FeedState], dict[int, FeedBodySource]]:
    """The feeds to poll, and for local files the source that reads them instead of HTTP."""
    with db.sessions.begin() as session:
        if not feed_args:
            return feed_rows.list_feeds(session, active_only=True), {}
        feeds: list[FeedState] = []
        sources: dict[int, FeedBodySource] = {}
        for arg in feed_args:
            path = Path(arg)
            if "://" not in arg and path.is_file():
                url, source = file_feed_url(path), _file_source(path)
            else:
                try:
                    url, source = check_url(arg), None
                except UnsafeURLError as exc:
                    raise click.BadParameter(f"{arg}: {exc}", param_hint="--feed") from None
            state = feed_rows.get_feed(session, url) or feed_rows.add_feed(
                session, FeedSpec(url=url), source="check", now=utc_now()
            )
            feeds.append(state)
            if source is not None:
                sources[state.id] = source
        return feeds, sources


def _file_source(path: Path) -> FeedBodySource:
    async def read(feed: FeedState) -> FetchResult:
        body = path.read_bytes()
        return FetchResult(url=feed.url, final_url=feed.url, status=FetchStatus.OK, body=body)

    return read


async def _run(
    loaded: LoadedConfig,
    db: Database,
    feeds: Sequence[FeedState],
    sources: dict[int, FeedBodySource],
    *,
    progress: bool,
) -> list[FeedPollResult]:
    watchlist = watchlist_for(loaded)
    async with open_services(loaded.settings, db, watchlist=watchlist) as services:
        return await _poll_with_progress(services, feeds, sources, progress=progress)


async def _poll_with_progress(
    services: Services,
    feeds: Sequence[FeedState],
    sources: dict[int, FeedBodySource],
    *,
    progress: bool,
) -> list[FeedPollResult]:
    if not progress:
        return await poll_feeds(services, feeds, body_sources=sources)
    with Progress(
        TextColumn("polling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("feeds"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("poll", total=len(feeds))
        return await poll_feeds(
            services, feeds, body_sources=sources, on_done=lambda _: bar.advance(task)
        )
