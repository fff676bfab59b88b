"""The `monitor` command line: a thin Click layer over the pipeline and the database.

Exit codes: 0 all fine; 1 some feeds failed; 2 nothing could be done (configuration error,
database error, or no feed could be polled).
"""

from __future__ import annotations

import logging
import sys

import click

from monitor import __version__
from monitor.cli.admin import config_group, db_group
from monitor.cli.check import check
from monitor.cli.common import EXIT_FATAL, err_console
from monitor.cli.feeds import feeds_group
from monitor.errors import MonitorError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def main() -> None:
    """Console-script entry point: expected errors become one line on stderr and exit code 2."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(EXIT_FATAL)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_FATAL if exc.exit_code == 1 else exc.exit_code)
    except MonitorError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(EXIT_FATAL)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
