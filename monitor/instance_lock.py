"""One daemon per SQLite file: an exclusive `fcntl.flock` on `<database>.lock`. File I/O.

The kernel drops the lock when the process exits, however it exits (kill -9 included), so a
stale lock file never blocks a restart; the file itself stays and only carries the holder's pid
for the error message.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from monitor.errors import MonitorError


class InstanceLockedError(MonitorError):
    """Another process holds the lock."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path = path
        self.pid = pid
        shown = "unknown" if pid is None else str(pid)
        super().__init__(f"another instance (pid {shown}) holds {path}")


def lock_path_for(database_url: str) -> Path | None:
    """`<file>.lock` beside a SQLite database file; None for PostgreSQL or in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(str(url.database)).resolve()
    return path.with_name(path.name + ".lock")


def _read_pid(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


class InstanceLock:
    """An exclusive lock on `path`; `acquire()` raises InstanceLockedError when it is held."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            pid = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise InstanceLockedError(self.path, pid) from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def hold_instance_lock(database_url: str) -> Iterator[InstanceLock | None]:
    """Hold the lock of a SQLite database while the block runs; nothing for PostgreSQL, where
    any number of workers may share the database."""
    path = lock_path_for(database_url)
    if path is None:
        yield None
        return
    lock = InstanceLock(path)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
