"""Pipeline test fixtures: a parse/extract sandbox per test module, and a `World` on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from monitor.sandbox import Sandbox
from monitor.settings import FetchSettings
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import World, loopback_settings


@pytest.fixture(scope="module")
def pool() -> Iterator[Sandbox]:
    """One worker process, as the daemon's, with the parser and the extractor loaded."""
    with Sandbox(
        workers=1, memory_limit=1024**3, preload=("monitor.parse", "monitor.extract")
    ) as sandbox:
        yield sandbox


@pytest.fixture
def world(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, engine: Engine, pool: Sandbox
) -> World:
    """A fresh database and the loopback news site, with no watchlist."""
    return World(
        server=http_server, settings=loopback_settings(fetch_settings), engine=engine, pool=pool
    )
