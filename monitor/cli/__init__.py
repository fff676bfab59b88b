"""The `monitor` command line: a thin Click layer over the pipeline and the database.

Exit codes: 0 all fine; 1 some feeds failed; 2 nothing could be done (configuration error,
database error, or no feed could be polled).
"""

from __future__ import annotations

import logging
import sys

import click
from rich.markup import escape

from monitor import __version__
from monitor.cli.admin import config_group, db_group
from monitor.cli.check import check
from monitor.cli.claims import claims_group
from monitor.cli.common import EXIT_FATAL, err_console
from monitor.cli.deliveries import deliveries_group, digest
from monitor.cli.feeds import feeds_group
from monitor.cli.run import run
from monitor.cli.serve import serve
from monitor.cli.stance import stance
from monitor.errors import MonitorError


class MonitorGroup(click.Group):
    """A group that turns expected errors (MonitorError) into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise click.exceptions.Exit(EXIT_FATAL) from None


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def cli(verbose: int) -> None:
    """Track open claims in the news: poll feeds, store articles, report evidence."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


cli.add_command(check)
cli.add_command(feeds_group)
cli.add_command(db_group)
cli.add_command(config_group)
cli.add_command(stance)
cli.add_command(claims_group)
cli.add_command(digest)
cli.add_command(deliveries_group)
cli.add_command(run)
cli.add_command(serve)


def main() -> None:
    """Console-script entry point."""
    cli()
