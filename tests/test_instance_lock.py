"""One daemon per SQLite file: the instance lock, its message, and its release on exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.instance_lock import (
    InstanceLock,
    InstanceLockedError,
    hold_instance_lock,
    lock_path_for,
)

HOLD = (
    "import sys, time\n"
    "from pathlib import Path\n"
    "from monitor.instance_lock import InstanceLock\n"
    "InstanceLock(Path(sys.argv[1])).acquire()\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////data/monitor.db", Path("/data/monitor.db.lock")),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("postgresql+psycopg://u@127.0.0.1/monitor", None),
    ],
)
def test_lock_path_for_database_urls(url: str, expected: Path | None) -> None:
    assert lock_path_for(url) == expected


def test_a_second_lock_on_the_same_file_fails_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db.lock"
    first = InstanceLock(path)
    first.acquire()
    with pytest.raises(InstanceLockedError) as caught:
        InstanceLock(path).acquire()
    assert str(caught.value) == f"another instance (pid {os.getpid()}) holds {path}"
    first.release()
    second = InstanceLock(path)
    second.acquire()  # released: free again
    assert second.held
    second.release()


def test_hold_instance_lock_is_a_no_op_for_postgresql() -> None:
    with hold_instance_lock("postgresql+psycopg://u@127.0.0.1/x") as lock:
        assert lock is None


def test_hold_instance_lock_releases_at_the_end_of_the_block(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    with hold_instance_lock(url) as lock:
        assert lock is not None and lock.held
        with pytest.raises(InstanceLockedError), hold_instance_lock(url):
            pass
    with hold_instance_lock(url) as again:
        assert again is not None and again.held


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_lock_of_a_killed_process_is_released(tmp_path: Path, how: signal.Signals) -> None:
    path = tmp_path / "monitor.db.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(InstanceLockedError, match=rf"\(pid {holder.pid}\)"):
            InstanceLock(path).acquire()
    finally:
        holder.send_signal(how)
        holder.wait(timeout=10)
    lock = InstanceLock(path)
    lock.acquire()
    assert path.read_text().strip() == str(os.getpid())
    lock.release()
