"""Start-up check of the parsing libraries whose versions decide our safety. Reads versions only."""

from __future__ import annotations

import importlib.metadata
import pyexpat
import re

from monitor.errors import MonitorError

# (distribution, minimum version, why)
REQUIRED = (
    ("lxml", (6, 1), "older lxml lacks the XML hardening trafilatura relies on"),
    ("trafilatura", (2, 3, 1), "older trafilatura may fetch or downgrade TLS on its own"),
    ("feedparser", (6, 0, 11), "older feedparser mishandles encodings"),
)
MIN_EXPAT = (2, 6, 0)  # expat < 2.6 has no protection against large-token and entity DoS


class DependencyError(MonitorError):
    """An installed library is too old to be used safely."""


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def check_versions() -> list[str]:
    """Raise DependencyError if a required library is too old; return warnings otherwise."""
    for dist, minimum, why in REQUIRED:
        try:
            installed = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            raise DependencyError(f"{dist} is not installed; reinstall monitor") from None
        if _version_tuple(installed) < minimum:
            wanted = ".".join(map(str, minimum))
            raise DependencyError(f"{dist} {installed} is too old (need >= {wanted}: {why})")
    warnings: list[str] = []
    expat = _version_tuple(pyexpat.EXPAT_VERSION)
    if expat < MIN_EXPAT:
        warnings.append(
            f"{pyexpat.EXPAT_VERSION} is older than 2.6.0: this Python's XML parser is "
            "exposed to entity and large-token denial of service; upgrade Python"
        )
    return warnings
