"""Run a function in a worker process with a deadline and an address-space limit (process I/O).

Parsing and extraction run untrusted bytes through large C and Python libraries: a colspan table,
a quadratic entity or a deeply nested page can take minutes or gigabytes (RELIABILITY rows 17
and 42). `Sandbox` runs such work in a small pool of reused worker processes (pebble):

- each worker starts under ``RLIMIT_AS = memory_limit``, so a memory bomb ends in ``MemoryError``
  inside the worker instead of taking the host down;
- a task that runs past its deadline has its worker killed (SIGTERM, then SIGKILL after 3 s) and
  replaced; the caller gets `SandboxTimeoutError`. Other in-flight tasks keep running: pebble only
  kills a worker while no worker holds the shared task channel, so their results are not lost;
- exceptions raised by the function come back unchanged (same class and message; pebble sets
  ``__cause__`` to the remote traceback). A ``MemoryError`` becomes `SandboxCrashError`, as does
  a worker that dies (segfault, ``os._exit``, the kernel's OOM killer);
- the deadline counts from the moment a worker picks the task up, not from `run`: time waiting
  in the queue for a free worker is not charged to the task.

Workers come from the ``forkserver`` start method: a clean single-threaded server process is
spawned once and workers are forked from it, which is safe after the parent has threads and an
event loop (plain ``fork`` is not). Modules named in ``preload`` are imported by the fork server,
so a new worker (at start, or after a timeout) is ready in milliseconds instead of re-importing
trafilatura; the fork server is one per parent process, so the preload lists of every `Sandbox`
built before the first one starts are merged. Workers also import ``preload`` themselves, which is
a no-op when the fork server already did.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import importlib.util
import multiprocessing
import pickle
import resource
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

import pebble
from pebble.common.types import RemoteTraceback

from monitor.errors import SandboxCrashError, SandboxError, SandboxTimeoutError

__all__ = ["Sandbox", "SandboxCrashError", "SandboxError", "SandboxTimeoutError"]

T = TypeVar("T")

_START_METHOD = "forkserver"
# How often a waiting `run` checks that the pool itself is still alive (a worker that dies while
# no task runs breaks a pebble pool, and tasks queued on a broken pool would wait for ever).
_WATCH_INTERVAL_S = 1.0

_preload_lock = threading.Lock()
_forkserver_preload: set[str] = set()  # mirrors the one fork server per parent process


def _init_worker(memory_limit: int, preload: tuple[str, ...]) -> None:
    """Worker initializer: import what tasks need, then cap the address space."""
    for name in preload:
        importlib.import_module(name)
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _call_in_worker(fn: Callable[..., Any], args: tuple[Any, ...]) -> bytes:
    """Run ``fn(*args)`` in the worker and return its pickled result.

    Pickling here means a result the parent cannot unpickle fails this task only (pebble would
    declare the whole pool broken), and the same goes for exceptions that do not survive pickling.
    """
    try:
        result = fn(*args)
    except MemoryError:
        raise
    except BaseException as exc:
        try:
            pickle.loads(pickle.dumps(exc))  # noqa: S301 -- our own bytes, just made
        except Exception:
            raise SandboxError(
                f"{type(exc).__qualname__} raised in the worker could not be sent back: {exc}"
            ) from None
        raise
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


def _describe_exit(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (the system may have run out of memory)" if name == "SIGKILL" else ""
        return f"worker process was killed by {name}{hint}"
    return f"worker process exited unexpectedly with status {exitcode}"


def _stop(pool: pebble.ProcessPool) -> None:
    """Stop a pool now: queued tasks are dropped, workers terminated (SIGKILL after 3 s)."""
    pool.stop()  # type: ignore[no-untyped-call]
    pool.join()


class Sandbox:
    """A lazily started pool of worker processes that run functions under limits.

    ``fn`` and its arguments and result must be picklable (a module-level function). Use one
    `Sandbox` from one thread at a time; `run` may be awaited concurrently from many tasks.
    """

    def __init__(self, *, workers: int, memory_limit: int, preload: Sequence[str] = ()) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if memory_limit <= 0:
            raise ValueError("memory_limit must be positive")
        for name in preload:  # a worker that cannot import it would die at every start
            if importlib.util.find_spec(name) is None:
                raise ValueError(f"cannot preload {name!r}: no such module")
        self._workers = workers
        self._memory_limit = memory_limit
        self._preload = tuple(preload)
        self._lock = threading.Lock()
        self._pool: pebble.ProcessPool | None = None
        self._closed = False
        self._pending: set[concurrent.futures.Future[Any]] = set()
        with _preload_lock:
            _forkserver_preload.update(self._preload)

    async def run(self, fn: Callable[..., T], *args: Any, deadline: float) -> T:
        """Run ``fn(*args)`` in a worker; at most ``deadline`` seconds once a worker has it.

        Raises `SandboxTimeoutError`, `SandboxCrashError`, `SandboxError` (the sandbox is closed),
        or whatever ``fn`` raised.
        """
        if deadline <= 0:
            raise ValueError("deadline must be positive")
        pool, future = await self._schedule(fn, args, deadline)
        waiter = asyncio.wrap_future(future)
        self._pending.add(future)
        try:
            while not waiter.done():
                await asyncio.wait({waiter}, timeout=_WATCH_INTERVAL_S)
                if waiter.done():
                    break
                if self._closed:
                    raise SandboxError("the sandbox was closed while the task was waiting")
                if not pool.active:
                    raise SandboxCrashError("the worker pool failed; it will be restarted")
            if future.cancelled():
                raise SandboxError("the sandbox was closed while the task was running")
            try:
                # From pebble's future: asyncio's copy re-creates TimeoutError, losing its cause.
                payload = future.result()
            except BaseException as exc:
                translated = self._translate(exc, deadline)
                if translated is exc:
                    raise  # the function's own exception, with pebble's remote traceback as cause
                raise translated from None
        finally:
            self._pending.discard(future)
            if waiter.done() and not waiter.cancelled():
                waiter.exception()  # read from `future` above; keeps asyncio from logging it
            if not future.done():
                future.cancel()  # the caller was cancelled, or the pool broke: free the worker
        result: T = pickle.loads(payload)  # noqa: S301 -- bytes from our own worker
        return result

    def close(self) -> None:
        """Stop the workers; tasks still waiting fail with `SandboxError`. Blocks briefly."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        for future in list(self._pending):
            future.cancel()
        if pool is not None:
            _stop(pool)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def _schedule(
        self, fn: Callable[..., Any], args: tuple[Any, ...], deadline: float
    ) -> tuple[pebble.ProcessPool, concurrent.futures.Future[bytes]]:
        for attempt in range(2):
            pool = self._pool
            if pool is None or not pool.active:
                # Starting (fork server, workers) or replacing a broken pool blocks: off the loop.
                pool = await asyncio.to_thread(self._ensure_pool)
            try:
                future: concurrent.futures.Future[bytes] = pool.schedule(
                    _call_in_worker, args=(fn, args), timeout=deadline
                )
            except RuntimeError:  # the pool broke between the check and the call
                if attempt == 1:
                    raise SandboxCrashError("the worker pool could not be started") from None
                continue
            return pool, future
        raise AssertionError("unreachable")

    def _ensure_pool(self) -> pebble.ProcessPool:
        with self._lock:
            if self._closed:
                raise SandboxError("the sandbox is closed")
            old = self._pool
            if old is not None and old.active:
                return old
            if old is not None:
                _stop(old)
            context = multiprocessing.get_context(_START_METHOD)
            with _preload_lock:
                context.set_forkserver_preload(sorted(_forkserver_preload))
            pool = pebble.ProcessPool(
                max_workers=self._workers,
                initializer=_init_worker,
                initargs=(self._memory_limit, self._preload),
                context=context,
            )
            if not pool.active:  # `active` starts the fork server and the workers
                raise SandboxCrashError("the worker pool could not be started")
            self._pool = pool
            return pool

    def _translate(self, exc: BaseException, deadline: float) -> BaseException:
        """Map pebble's failures to sandbox errors; pass the function's own exceptions through."""
        if isinstance(exc.__cause__, RemoteTraceback):  # raised inside the worker
            if isinstance(exc, MemoryError):
                limit_mib = self._memory_limit / 1024**2
                return SandboxCrashError(f"the task ran out of memory (limit {limit_mib:g} MiB)")
            return exc
        if isinstance(exc, TimeoutError):
            return SandboxTimeoutError(f"timed out after {deadline:g} s")
        if isinstance(exc, pebble.ProcessExpired):
            return SandboxCrashError(_describe_exit(exc.exitcode))
        if isinstance(exc, BrokenProcessPool):
            return SandboxCrashError(f"the worker pool failed ({exc}); it will be restarted")
        return exc
