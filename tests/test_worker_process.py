"""`monitor run` as real processes: SIGTERM, a second daemon on one SQLite file, kill -9 in the
middle of a poll, and four workers sharing one PostgreSQL database (RELIABILITY rows 56, 59, 62).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import PARAGRAPHS, Item, article_page, rss

GRACE_S = 5.0
WAIT_S = 30.0


def write_config(
    tmp_path: Path,
    feed_urls: Sequence[str],
    *,
    database_url: str | None = None,
    name: str = "monitor.toml",
    **daemon: str,
) -> Path:
    settings = {
        "tick": '"200ms"',
        "health_port": "0",
        "shutdown_grace": f'"{GRACE_S}s"',
        **daemon,
    }
    database = f'[database]\nurl = "{database_url}"\n' if database_url else ""
    text = (
        '[fetch]\nallow_private = ["127.0.0.0/8"]\nper_host_spacing = 0\n'
        'per_host_in_flight = 4\nfeed_deadline = "10s"\npage_deadline = "10s"\n'
        "[extract]\nworkers = 1\n"
        + database
        + "[daemon]\n"
        + "".join(f"{key} = {value}\n" for key, value in settings.items())
        + "".join(f'[[feeds]]\nurl = "{url}"\n' for url in feed_urls)
    )
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)  # it may hold the database URL
    return path


class Daemon:
    """One `python -m monitor run` child process, its stderr collected in a file."""

    def __init__(self, tmp_path: Path, config: Path, label: str = "run") -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("MONITOR_") and key != "CI"
        }
        env.update(MONITOR_DATA_DIR=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
        self.log_path = tmp_path / f"{label}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(config)],
            cwd=tmp_path,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, how: signal.Signals = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(how)
        try:
            return self.process.wait(timeout=GRACE_S + 10)
        finally:
            self._log.close()

    def kill(self) -> None:
        """Make sure the process is gone (test teardown)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.kill()


def wait_for(condition: Callable[[], bool], what: str, daemons: Sequence[Daemon] = ()) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        for daemon in daemons:
            assert daemon.process.poll() is None, f"daemon exited early:\n{daemon.log}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def sqlite_rows(path: Path, query: str) -> list[tuple[object, ...]]:
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
        try:
            return list(connection.execute(query))
        except sqlite3.OperationalError:  # not migrated yet
            return []


def sqlite_count(path: Path, query: str) -> int:
    rows = sqlite_rows(path, query)
    return int(rows[0][0]) if rows else 0  # type: ignore[call-overload]


def serve_feeds(server: LoopbackHTTPServer, count: int, **route: object) -> list[str]:
    for i in range(count):
        server.route(f"/feed-{i}.xml", body=rss([]), content_type="application/rss+xml", **route)
    return [server.url(f"/feed-{i}.xml") for i in range(count)]


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_a_second_daemon_on_the_file_refuses(
    tmp_path: Path, http_server: LoopbackHTTPServer, daemons: list[Daemon]
) -> None:
    database = tmp_path / "data" / "monitor.db"
    config = write_config(tmp_path, serve_feeds(http_server, 3))
    first = Daemon(tmp_path, config)
    daemons.append(first)
    polled = "SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL"
    wait_for(lambda: sqlite_count(database, polled) == 3, "three polled feeds", [first])

    second = Daemon(tmp_path, config, "second")
    daemons.append(second)
    assert second.process.wait(timeout=WAIT_S) == 2
    lock = f"{database}.lock"
    assert f"another instance (pid {first.process.pid}) holds {lock}" in second.log
    assert first.process.poll() is None

    assert first.stop(signal.SIGTERM) == 0
    lines = first.log.splitlines()
    assert any(" msg=started " in line and line.startswith("ts=") for line in lines)
    assert any("msg=stopped clean=true" in line for line in lines), first.log
    for i in range(3):
        assert len(http_server.requests_to(f"/feed-{i}.xml")) == 1
    # The lock went with the process: the next daemon starts (and SIGINT stops it too).
    third = Daemon(tmp_path, config, "third")
    daemons.append(third)
    wait_for(lambda: "msg=started" in third.log, "the third daemon", [third])
    assert third.stop(signal.SIGINT) == 0


def test_kill_9_mid_poll_then_restart_stores_every_item_once(
    tmp_path: Path, http_server: LoopbackHTTPServer, daemons: list[Daemon]
) -> None:
    database = tmp_path / "data" / "monitor.db"
    items = []
    for i in range(3):
        path = f"/story-{i}"
        page = article_page(f"Story {i}", PARAGRAPHS[i:] + PARAGRAPHS[:i])
        http_server.route(path, body=page, content_type="text/html", delay=30.0 if i == 1 else 0)
        items.append(Item(f"Story {i}", http_server.url(path)))
    http_server.route("/feed.xml", body=rss(items), content_type="application/rss+xml")
    config = write_config(tmp_path, [http_server.url("/feed.xml")], feed_lease='"1s"')

    first = Daemon(tmp_path, config, "first")
    daemons.append(first)
    wait_for(lambda: bool(http_server.requests_to("/story-1")), "the slow page", [first])
    first.stop(signal.SIGKILL)
    assert sqlite_count(database, "SELECT count(*) FROM items") == 0  # nothing half-written

    http_server.route(
        "/story-1", body=article_page("Story 1", PARAGRAPHS), content_type="text/html"
    )
    second = Daemon(tmp_path, config, "second")
    daemons.append(second)
    wait_for(lambda: sqlite_count(database, "SELECT count(*) FROM items") == 3, "3 items", [second])
    time.sleep(0.5)  # a few more ticks: nothing more may arrive
    assert second.stop() == 0

    links = [str(row[0]) for row in sqlite_rows(database, "SELECT link FROM items")]
    assert sorted(links) == sorted(item.link for item in items)
    assert sqlite_count(database, "SELECT count(*) FROM articles") == 3
    assert sqlite_rows(database, "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.postgres
@pytest.mark.slow
def test_four_workers_on_postgresql_poll_every_feed_exactly_once(
    tmp_path: Path,
    http_server: LoopbackHTTPServer,
    daemons: list[Daemon],
    create_postgres_database: Callable[[str], str],
) -> None:
    url = create_postgres_database("workers")
    feeds = serve_feeds(http_server, 100, delay=0.05)
    config = write_config(
        tmp_path, feeds, database_url=url, max_feeds_per_tick="10", log_format='"json"'
    )
    for n in range(4):
        daemons.append(Daemon(tmp_path, config, f"worker-{n}"))
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    def polled() -> int:
        try:
            with psycopg.connect(libpq) as connection:
                row = connection.execute(
                    "SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL"
                ).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
        return int(row[0]) if row else 0

    wait_for(lambda: polled() == 100, "100 polled feeds", daemons)
    time.sleep(1.0)  # several more ticks of every worker: no feed may be polled again
    assert [daemon.stop() for daemon in daemons] == [0, 0, 0, 0]

    per_feed = Counter(r.path for r in http_server.requests)
    assert {path: n for path, n in per_feed.items() if n != 1} == {}
    assert len(per_feed) == 100
    leased = 0
    for daemon in daemons:
        events = [json.loads(line) for line in daemon.log.splitlines() if line.strip()]
        assert {"started", "stopped"} <= {event["msg"] for event in events}
        leased += sum(event.get("feeds", 0) for event in events if event["msg"] == "tick")
    assert leased == 100  # each feed leased by exactly one worker, once
