"""Paths to the shared data beside the project; skip outside CI when it is missing, fail in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_shared(path: Path) -> Path:
    """Return `path` if it exists; otherwise skip the test (outside CI) or fail it (in CI)."""
    if path.exists():
        return path
    message = f"shared data not found at {path}"
    if IN_CI:
        pytest.fail(message + " (required when CI=true)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared(SHARED_DATA)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return require_shared(SEEDS)
