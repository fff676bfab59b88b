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


def table_lines(output: str) -> list[list[str]]:
    """The body lines of a rich table in `output`, each as its cells' stripped text (a cell
    that wraps gives one entry per line it takes)."""
    return [
        [cell.strip() for cell in line.split("\u2502")[1:-1]]
        for line in output.splitlines()
        if line.startswith("\u2502")
    ]


def joined_column(output: str, column: int) -> str:
    """One column of a rich table with every space and line break taken out: what a wrapped or
    folded value reads as, to compare with the value with its spaces taken out too."""
    return "".join("".join(cells[column].split()) for cells in table_lines(output))
