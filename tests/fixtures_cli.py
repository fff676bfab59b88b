"""CLI test fixtures: an isolated environment for commands run through Click's runner."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Data dir and user config dir in tmp, cwd in tmp, no config or database from the outside."""
    for name in ("MONITOR_CONFIG", "MONITOR_DATABASE_URL", "MONITOR_DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return {"MONITOR_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
