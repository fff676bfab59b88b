"""End-to-end polls per second with 4 `monitor run` workers on PostgreSQL, and the resident memory
of one worker with 10,000 feeds. Network (loopback), database and subprocesses.

Part 1: a scratch database on 127.0.0.1:5432 gets N feeds, all due, served by a loopback HTTP
server as small RSS feeds (a few items each, whose article links answer 404, so no extraction);
4 `python -m monitor run` processes start at once and the clock stops when every feed has a
`last_checked_at`. Part 2: 10,000 such feeds and one worker; VmRSS and VmHWM of the worker
process (from /proc/<pid>/status) are sampled until every feed is polled (or a time limit).
Prints figures, asserts nothing.

    .venv/bin/python -m tests.benchmarks.bench_workers [--feeds 2000] [--memory-feeds 10000]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from monitor.db.engine import create_engine_for, make_session_factory
from monitor.db.feeds import add_feed
from monitor.db.migrate import upgrade
from monitor.domain import FeedSpec
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import Item, rss

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORKERS = 4
START = datetime(2026, 3, 1, tzinfo=UTC)
PER_HOST_IN_FLIGHT = 16  # every feed is on 127.0.0.1: the per-host limit is the one that binds


@dataclass(frozen=True)
class PollRun:
    feeds: int
    workers: int
    seconds_from_start: float  # processes started -> every feed checked
    seconds_polling: float  # first feed checked -> every feed checked
    peak_rss_kib: int  # VmHWM of the first worker


@dataclass(frozen=True)
class Memory:
    rss_kib: int
    hwm_kib: int


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _scratch_database(purpose: str) -> Iterator[str]:
    admin = _libpq(PG_ADMIN)
    name = f"monitor_bench_{purpose}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _serve_and_add_feeds(server: LoopbackHTTPServer, url: str, count: int, items: int) -> None:
    """Route `count` small RSS feeds and add them to the database, all due now."""
    for n in range(count):
        entries = [Item(f"Story {n}.{i}", server.url(f"/gone/{n}/{i}")) for i in range(items)]
        server.route(f"/f{n}.xml", body=rss(entries), content_type="application/rss+xml")
    engine = create_engine_for(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        for n in range(count):
            add_feed(session, FeedSpec(server.url(f"/f{n}.xml")), source="cli", now=START)
    engine.dispose()


def _write_config(directory: Path, url: str) -> Path:
    path = directory / "monitor.toml"
    path.write_text(
        '[fetch]\nallow_private = ["127.0.0.0/8"]\nper_host_spacing = 0\n'
        f"per_host_in_flight = {PER_HOST_IN_FLIGHT}\nmax_in_flight = 50\n"
        'feed_deadline = "30s"\npage_deadline = "30s"\n'
        "[extract]\nworkers = 1\n"
        f'[database]\nurl = "{url}"\n'
        '[daemon]\ntick = "200ms"\nhealth_port = 0\nmax_feeds_per_tick = 50\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def _start_worker(directory: Path, config: Path, label: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(MONITOR_DATA_DIR=str(directory / "data"), XDG_CONFIG_HOME=str(directory / "xdg"))
    log = (directory / f"{label}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        cwd=directory,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def memory_of(pid: int) -> Memory:
    """VmRSS and VmHWM of a process, in KiB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return Memory(rss_kib=fields.get("VmRSS", 0), hwm_kib=fields.get("VmHWM", 0))


def _checked(url: str) -> tuple[int, datetime | None]:
    with psycopg.connect(_libpq(url)) as connection:
        row = connection.execute(
            "SELECT count(*), min(last_checked_at) FROM feeds WHERE last_checked_at IS NOT NULL"
        ).fetchone()
    assert row is not None
    return int(row[0]), row[1]


def poll_all(url: str, feeds: int, workers: int, limit_s: float) -> tuple[PollRun, list[Memory]]:
    """Start `workers` daemons and wait until every feed is checked; sample the first's memory."""
    samples: list[Memory] = []
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as scratch:
        directory = Path(scratch)
        config = _write_config(directory, url)
        started = time.perf_counter()
        processes = [_start_worker(directory, config, f"w{n}") for n in range(workers)]
        try:
            checked, first = 0, None
            while checked < feeds and time.perf_counter() - started < limit_s:
                time.sleep(0.25)
                checked, first = _checked(url)
                samples.append(memory_of(processes[0].pid))
            elapsed = time.perf_counter() - started
            finished_wall = datetime.now(UTC)
            peak = memory_of(processes[0].pid).hwm_kib
        finally:
            _stop(processes)
    polling = (finished_wall - first).total_seconds() if first else elapsed
    return PollRun(checked, workers, elapsed, polling, peak), samples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--items", type=int, default=3, help="items per feed")
    parser.add_argument("--memory-feeds", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=300.0, help="seconds per part, at most")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; loopback feeds with {args.items} items each")
    print(f"fetch: per_host_in_flight={PER_HOST_IN_FLIGHT}, max_in_flight=50; tick 200 ms,")
    print("       max_feeds_per_tick=50; article links answer 404 (no extraction)")

    server = LoopbackHTTPServer().start()
    try:
        with _scratch_database("workers") as url:
            _serve_and_add_feeds(server, url, args.feeds, args.items)
            run, _ = poll_all(url, args.feeds, WORKERS, args.limit)
            print(
                f"\n{WORKERS} workers, {args.feeds} due feeds: {run.feeds} checked in "
                f"{run.seconds_from_start:.1f} s from process start "
                f"({run.feeds / run.seconds_from_start:.0f} polls/s), "
                f"{run.seconds_polling:.1f} s from the first poll "
                f"({run.feeds / max(run.seconds_polling, 1e-9):.0f} polls/s)"
            )
            print(f"HTTP requests served: {len(server.requests)}")
        server.requests.clear()
        with _scratch_database("memory") as url:
            _serve_and_add_feeds(server, url, args.memory_feeds, args.items)
            run, samples = poll_all(url, args.memory_feeds, 1, args.limit)
            idle = samples[0] if samples else Memory(0, 0)
            last = samples[-1] if samples else Memory(0, 0)
            print(
                f"\n1 worker, {args.memory_feeds} feeds: {run.feeds} checked in "
                f"{run.seconds_from_start:.1f} s ({run.feeds / run.seconds_from_start:.0f} polls/s)"
            )
            print(
                f"worker memory: VmRSS {idle.rss_kib / 1024:.0f} MiB at the first sample, "
                f"{last.rss_kib / 1024:.0f} MiB at the end; "
                f"VmHWM (peak) {run.peak_rss_kib / 1024:.0f} MiB"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
