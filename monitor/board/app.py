"""The claims board's FastAPI application, built from settings, a session factory and the
watchlist (nothing global, so tests hand in their own). No I/O until it serves a request.

/openapi.json documents the JSON API; FastAPI's /docs and /redoc are off because they load
Swagger UI and ReDoc from a CDN, and the board works offline.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from monitor import __version__
from monitor.board import api, pages
from monitor.board.data import BoardContext
from monitor.board.security import BoardGuard
from monitor.settings import Settings
from monitor.watchlist import Watchlist

STATIC = Path(__file__).resolve().parent / "static"


def create_app(
    settings: Settings, sessions: sessionmaker[Session], watchlist: Watchlist
) -> FastAPI:
    """The board: HTML pages, /api/, /openapi.json and /static/, behind `BoardGuard`."""
    app = FastAPI(
        title="monitor claims board",
        version=__version__,
        description="Read-only JSON API of the claims board: claims, evidence, entities, feeds.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.board = BoardContext(
        sessions=sessions, watchlist=watchlist, page_size=settings.board.page_size
    )
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    token = settings.board.token
    app.add_middleware(BoardGuard, token=None if token is None else token.get_secret_value())
    return app
