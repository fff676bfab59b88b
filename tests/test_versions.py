"""The start-up check of library versions (RELIABILITY row 67)."""

import importlib.metadata
import re

import pytest

from monitor import versions
from monitor.versions import DependencyError, check_versions


def test_installed_versions_pass() -> None:
    assert isinstance(check_versions(), list)


@pytest.mark.parametrize(
    ("dist", "fake", "message"),
    [
        ("lxml", "5.3.0", "lxml 5.3.0 is too old (need >= 6.1"),
        ("trafilatura", "2.3.0", "trafilatura 2.3.0 is too old (need >= 2.3.1"),
    ],
)
def test_old_libraries_are_refused(
    monkeypatch: pytest.MonkeyPatch, dist: str, fake: str, message: str
) -> None:
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: fake if name == dist else real(name)
    )
    with pytest.raises(DependencyError, match=re.escape(message)):
        check_versions()


def test_missing_library_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    with pytest.raises(DependencyError, match="is not installed"):
        check_versions()


def test_old_expat_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(versions.pyexpat, "EXPAT_VERSION", "expat_2.5.0")
    [warning] = check_versions()
    assert "expat_2.5.0 is older than 2.6.0" in warning
    monkeypatch.setattr(versions.pyexpat, "EXPAT_VERSION", "expat_2.6.3")
    assert check_versions() == []
