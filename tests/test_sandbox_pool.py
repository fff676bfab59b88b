"""Sandbox: worker processes with deadlines and memory limits, and how it recovers from failures.

The functions that run in the workers live at module level so the workers can import them.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import pickle
import resource
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import trafilatura

from monitor.errors import FeedError, MonitorError
from monitor.extract import extract_article
from monitor.sandbox import Sandbox, SandboxCrashError, SandboxError, SandboxTimeoutError

T = TypeVar("T")
MiB = 1024**2
URL = "https://news.example/story"


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=2, memory_limit=1024 * MiB, preload=("monitor.extract",)) as box:
        yield box


# --- functions run in the workers -----------------------------------------------------------


def add(a: int, b: int) -> int:
    return a + b


def worker_pid() -> int:
    return os.getpid()


def address_space_limit() -> tuple[int, int]:
    return resource.getrlimit(resource.RLIMIT_AS)


def raise_feed_error(message: str) -> None:
    raise FeedError(message)


def raise_builtin(kind: type[Exception], message: str) -> None:
    raise kind(message)


class UnpicklableError(Exception):
    def __init__(self, message: str, extra: int) -> None:  # pickling drops `extra`
        super().__init__(message)
        self.extra = extra


def raise_unpicklable() -> None:
    raise UnpicklableError("cannot travel", 1)


def return_unpicklable() -> Any:
    return lambda: None


def allocate(size: int) -> int:
    return len(bytearray(size))


def die_by(signum: int) -> None:
    time.sleep(0.2)  # let the pool register the task as running first
    os.kill(os.getpid(), signum)


def exit_abruptly() -> None:
    time.sleep(0.2)
    os._exit(3)


def sleep_then(seconds: float, value: str) -> str:
    time.sleep(seconds)
    return value


def write_pid_and_sleep(path: str) -> None:
    Path(path).write_text(str(os.getpid()))
    time.sleep(60)


def wait_for_file(path: str) -> str:
    while not Path(path).exists():
        time.sleep(0.01)
    return "seen"


def colspan_bomb(rows: int = 8000) -> bytes:
    """About 440 KB: every cell spans 65534 columns and rows (RELIABILITY row 42)."""
    cells = "".join(f'<tr><td colspan="65534" rowspan="65534">x{i}</td></tr>' for i in range(rows))
    return (
        "<html><head><title>Table</title></head><body><article><p>Intro.</p>"
        f"<table>{cells}</table></article></body></html>"
    ).encode()


def extract_with_tables(html: bytes) -> str:
    """trafilatura as it runs with its defaults (tables included): minutes on a colspan bomb."""
    document = trafilatura.bare_extraction(html.decode(), fast=True, include_tables=True)
    return document.text if document is not None else ""


# --- results and exceptions -----------------------------------------------------------------


def test_runs_function_and_reuses_workers(sandbox: Sandbox) -> None:
    async def scenario() -> tuple[list[int], set[int]]:
        sums = await asyncio.gather(*(sandbox.run(add, i, 1, deadline=5) for i in range(20)))
        pids = {await sandbox.run(worker_pid, deadline=5) for _ in range(20)}
        return sums, pids

    sums, pids = run(scenario())
    assert sums == [i + 1 for i in range(20)]
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_workers_run_under_the_memory_limit(sandbox: Sandbox) -> None:
    soft, _hard = run(sandbox.run(address_space_limit, deadline=5))
    assert soft == 1024 * MiB


def test_extract_article_runs_in_the_sandbox(sandbox: Sandbox) -> None:
    html = b"<html><body><article><p>" + b"The bridge reopened on Tuesday morning. " * 10
    article = run(sandbox.run(functools.partial(extract_article, url=URL), html, deadline=10))
    assert "bridge reopened" in article.text


def test_function_exceptions_come_back_unchanged(sandbox: Sandbox) -> None:
    with pytest.raises(FeedError, match=r"^not a valid RSS/Atom feed$") as info:
        run(sandbox.run(raise_feed_error, "not a valid RSS/Atom feed", deadline=5))
    assert "raise_feed_error" in str(info.value.__cause__)  # the remote traceback
    # Built-in classes that pebble itself uses for its own failures stay the function's.
    for kind in (ValueError, TimeoutError, OSError, RuntimeError):
        with pytest.raises(kind, match="from the function") as raised:
            run(sandbox.run(raise_builtin, kind, "from the function", deadline=5))
        assert type(raised.value) is kind


def test_unpicklable_exception_and_result_fail_only_their_task(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match=r"UnpicklableError.*cannot travel"):
        run(sandbox.run(raise_unpicklable, deadline=5))
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        run(sandbox.run(return_unpicklable, deadline=5))
    assert run(sandbox.run(add, 2, 2, deadline=5)) == 4


def test_run_does_not_block_the_event_loop(sandbox: Sandbox, tmp_path: Path) -> None:
    flag = tmp_path / "flag"

    async def scenario() -> str:
        task = asyncio.create_task(sandbox.run(wait_for_file, str(flag), deadline=10))
        await asyncio.sleep(0.05)  # runs only if `run` yields to the loop
        flag.touch()
        return await task

    assert run(scenario()) == "seen"


# --- deadlines ------------------------------------------------------------------------------


def test_colspan_bomb_times_out_and_the_sandbox_goes_on(sandbox: Sandbox) -> None:
    async def scenario() -> tuple[BaseException | str, str]:
        bomb = sandbox.run(extract_with_tables, colspan_bomb(), deadline=1)
        # A task on the other worker, in flight while the bomb's worker is killed.
        neighbour = sandbox.run(sleep_then, 1.5, "neighbour done", deadline=10)
        outcomes = await asyncio.gather(bomb, neighbour, return_exceptions=True)
        after = await sandbox.run(add, 40, 2, deadline=5)
        return outcomes[0], f"{outcomes[1]} {after}"

    bomb_outcome, rest = run(scenario())
    assert isinstance(bomb_outcome, SandboxTimeoutError)
    assert str(bomb_outcome) == "timed out after 1 s"
    assert rest == "neighbour done 42"


def test_extract_article_defuses_the_colspan_bomb(sandbox: Sandbox) -> None:
    # include_tables=False: finishes in well under a second instead of minutes.
    article = run(
        sandbox.run(functools.partial(extract_article, url=URL), colspan_bomb(), deadline=10)
    )
    assert article.title == "Table"


def test_cancelling_run_kills_the_worker(sandbox: Sandbox, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    async def scenario() -> int:
        task = asyncio.create_task(sandbox.run(write_pid_and_sleep, str(pid_file), deadline=60))
        while not pid_file.exists() or not pid_file.read_text():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return int(pid_file.read_text())

    pid = run(scenario())
    assert wait_until_gone(pid)
    assert run(sandbox.run(add, 1, 1, deadline=5)) == 2


def wait_until_gone(pid: int, limit_s: float = 10.0) -> bool:
    """True once `pid` no longer runs (pebble terminates, then SIGKILLs after 3 s)."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


# --- crashes and memory ---------------------------------------------------------------------


def test_memory_bomb_is_a_crash_error_and_the_worker_recovers() -> None:
    with Sandbox(workers=1, memory_limit=256 * MiB) as box:
        with pytest.raises(SandboxCrashError, match=r"out of memory \(limit 256 MiB\)"):
            run(box.run(allocate, 512 * MiB, deadline=10))
        assert run(box.run(allocate, 16 * MiB, deadline=10)) == 16 * MiB


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (functools.partial(die_by, signal.SIGSEGV), "killed by SIGSEGV"),
        (functools.partial(die_by, signal.SIGKILL), "killed by SIGKILL"),
        (exit_abruptly, "exited unexpectedly with status 3"),
    ],
)
def test_dead_worker_is_a_crash_error(
    sandbox: Sandbox, fn: Callable[[], None], message: str
) -> None:
    with pytest.raises(SandboxCrashError, match=message):
        run(sandbox.run(fn, deadline=10))
    assert run(sandbox.run(add, 1, 2, deadline=5)) == 3


def test_pool_recovers_when_an_idle_worker_is_killed() -> None:
    # pebble declares a pool broken when a worker dies with no task running; Sandbox restarts it.
    with Sandbox(workers=1, memory_limit=1024 * MiB) as box:
        pid = run(box.run(worker_pid, deadline=5))
        os.kill(pid, signal.SIGKILL)
        assert wait_until_gone(pid)
        time.sleep(0.3)  # let pebble's manager thread notice
        assert run(box.run(add, 2, 3, deadline=5)) == 5


# --- life cycle -----------------------------------------------------------------------------


def test_starts_lazily_and_closes() -> None:
    before = set(multiprocessing.active_children())
    box = Sandbox(workers=2, memory_limit=1024 * MiB)
    assert set(multiprocessing.active_children()) == before
    assert run(box.run(add, 1, 1, deadline=5)) == 2
    workers = set(multiprocessing.active_children()) - before
    assert len(workers) == 2
    box.close()
    assert not any(worker.is_alive() for worker in workers)
    with pytest.raises(SandboxError, match="closed"):
        run(box.run(add, 1, 1, deadline=5))


def test_close_fails_tasks_in_flight(tmp_path: Path) -> None:
    box = Sandbox(workers=1, memory_limit=1024 * MiB)

    async def scenario() -> None:
        task = asyncio.create_task(box.run(sleep_then, 30, "never", deadline=60))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(box.close)
        await task

    with pytest.raises(SandboxError, match="closed"):
        run(scenario())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"workers": 0, "memory_limit": MiB},
        {"workers": 1, "memory_limit": 0},
        {"workers": 1, "memory_limit": MiB, "preload": ("monitor.no_such_module",)},
    ],
)
def test_rejects_bad_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Sandbox(**kwargs)


def test_rejects_a_non_positive_deadline(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError):
        run(sandbox.run(add, 1, 1, deadline=0))


def test_errors_are_monitor_errors() -> None:
    assert issubclass(SandboxTimeoutError, SandboxError)
    assert issubclass(SandboxCrashError, SandboxError)
    assert issubclass(SandboxError, MonitorError)
