"""Value types for the settings models: durations, sizes, identifiers, the base model. Pure."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """'90s', '15m', '1.5h', '2d' or a number of seconds -> seconds (must be positive)."""
    seconds = parse_duration_or_zero(value)
    if seconds == 0:
        raise ValueError("a duration must be positive")
    return seconds


def parse_duration_or_zero(value: Any) -> float:
    """Like `parse_duration`, but 0 ("no wait") is allowed."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '30s', '15m' or '2h'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT_S[m.group(2)]
    else:
        raise ValueError("expected a duration such as '30s', '15m' or '2h'")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$", re.IGNORECASE)
_UNIT_B = {
    "b": 1,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
}


def parse_size(value: Any) -> int:
    """'15 MiB', '512KiB', or a number of bytes -> bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a size such as '15 MiB'")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        size = int(float(m.group(1)) * _UNIT_B[(m.group(2) or "b").lower()])
    else:
        raise ValueError("expected a size such as '15 MiB' or a number of bytes")
    if size <= 0:
        raise ValueError("a size must be positive")
    return size


Duration = Annotated[float, BeforeValidator(parse_duration)]
DurationOrZero = Annotated[float, BeforeValidator(parse_duration_or_zero)]
Size = Annotated[int, BeforeValidator(parse_size)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
