"""Finds secrets written inline in a config file and warns when others may read it (stats it)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from monitor.config_loader.schema import Loc, dotted, is_secret, nested
from monitor.settings import Settings


def inline_secrets(data: Mapping[str, Any]) -> list[str]:
    """Dotted keys of the secrets set in the file itself (SecretStr values, URL credentials)."""
    return [dotted(loc) for loc in _walk(Settings, data, ())]


def _walk(model: type[BaseModel], data: Mapping[str, Any], prefix: Loc) -> Iterator[Loc]:
    for name, field in model.model_fields.items():
        value = data.get(name)
        if value is None:
            continue
        inner = nested(field.annotation)
        if inner is None:
            secret = is_secret(field.annotation) and value != ""
            if secret or (name == "url" and isinstance(value, str) and _has_userinfo(value)):
                yield (*prefix, name)
        elif inner.is_array and isinstance(value, list):
            for index, element in enumerate(value):
                if isinstance(element, Mapping):
                    yield from _walk(inner.model, element, (*prefix, name, index))
        elif isinstance(value, Mapping):
            yield from _walk(inner.model, value, (*prefix, name))


def _has_userinfo(url: str) -> bool:
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return False


def exposure_warning(path: Path, label: str, secret_keys: list[str]) -> str | None:
    """A warning when the file holding `secret_keys` is readable by its group or by everyone."""
    if not secret_keys or os.name == "nt":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return None
    who = "everyone" if mode & stat.S_IROTH else "its group"
    return (
        f"{label}: readable by {who} (mode {mode:04o}) and holds secrets inline "
        f"({', '.join(secret_keys)}); run `chmod 600 {label}` or move them to "
        "MONITOR_<SECTION>_<KEY>_FILE variables"
    )
