"""`monitor serve`: the read-only claims board (HTML and JSON API) over the configured database."""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn
from pydantic import ValidationError

from monitor.board import create_app
from monitor.board_settings import BoardSettings
from monitor.cli.common import (
    CommandError,
    config_option,
    database,
    err_console,
    load,
    watchlist_for,
)


def board_settings(base: BoardSettings, address: str | None, port: int | None) -> BoardSettings:
    """[board] with the command line's address and port, validated again (a non-loopback
    address needs a token)."""
    values = base.model_dump()
    if address is not None:
        values["address"] = address
    if port is not None:
        values["port"] = port
    try:
        return BoardSettings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise CommandError(f"board settings: {problems}") from None


@click.command("serve")
@config_option
@click.option(
    "--address", default=None, help="Address to bind (default: [board] address, 127.0.0.1)."
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port (default: [board] port, 8080).",
)
def serve(config_path: Path | None, address: str | None, port: int | None) -> None:
    """Serve the claims board: claims, evidence timelines, entities, feed health, and /api/."""
    loaded = load(config_path)
    board = board_settings(loaded.settings.board, address, port)
    settings = loaded.settings.model_copy(update={"board": board})
    with database(loaded) as db:
        app = create_app(settings, db.sessions, watchlist_for(loaded))
        host = f"[{board.address}]" if ":" in board.address else board.address
        protected = " (token required)" if board.token is not None else ""
        err_console.print(
            f"Claims board on http://{host}:{board.port}/{protected}", highlight=False
        )
        uvicorn.run(app, host=board.address, port=board.port, log_level="warning", access_log=False)
