"""Renders effective settings as TOML with every secret shown as <redacted>. Pure.

Used by `monitor config show`. Durations and sizes are written in units ("30m", "15 MiB"),
settings that are not set appear as comments, and the output loads back as the same settings
when it holds no secrets.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from monitor.config_loader.problems import REDACTED
from monitor.config_loader.schema import is_secret, nested, unit_of
from monitor.settings import Settings

# Secret settings that are URLs whose host and path are useful to see: only credentials go.
URL_SECRETS = frozenset({("database", "url"), ("fetch", "proxy")})
_SENSITIVE_PARAMS = ("pass", "secret", "token", "key", "auth", "sig")


def render_redacted(settings: Settings) -> str:
    """TOML text of `settings`, secrets and URL credentials replaced by <redacted>."""
    lines: list[str] = []
    _render_table(settings, (), lines)
    return "\n".join(lines).strip() + "\n"


def _render_table(
    model: BaseModel, path: tuple[str, ...], lines: list[str], in_array: bool = False
) -> None:
    later: list[tuple[str, Any, bool]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        inner = nested(field.annotation)
        if inner is not None:
            later.append((name, value, inner.is_array))
            continue
        if value is None:
            if not in_array:
                lines.append(f"# {name} is not set")
            continue
        lines.append(f"{name} = {_value((*path, name), field, value)}")
    for name, value, is_array in later:
        sub_path = (*path, name)
        header = ".".join(sub_path)
        if not is_array:
            lines.extend(["", f"[{header}]"])
            _render_table(value, sub_path, lines)
            continue
        for element in value:
            lines.extend(["", f"[[{header}]]"])
            _render_table(element, sub_path, lines, in_array=True)


def _value(path: tuple[str, ...], field: FieldInfo, value: Any) -> str:
    if isinstance(value, SecretStr) or is_secret(field.annotation):
        secret = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        shown = redact_credentials(secret) if path in URL_SECRETS else REDACTED
        return _string(shown)
    unit = unit_of(field)
    if unit == "duration":
        return _string(format_duration(float(value)))
    if unit == "size":
        return _string(format_size(int(value))) if _size_has_unit(int(value)) else str(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_scalar(path, item) for item in value) + "]"
    return _scalar(path, value)


def _scalar(path: tuple[str, ...], value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | date):
        return value.isoformat() if isinstance(value, date) else repr(value)
    text = str(value)
    if path[-1] == "url":
        text = redact_userinfo(text)
    return _string(text)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def redact_userinfo(url: str) -> str:
    """The URL with any ``user:password@`` replaced by ``<redacted>@``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def redact_credentials(url: str) -> str:
    """A secret URL with its password (or lone user token) and credential parameters redacted."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{REDACTED}@{host}" if colon else f"{REDACTED}@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(word in key.lower() for key, _ in pairs for word in _SENSITIVE_PARAMS):
        query = "&".join(
            f"{key}={REDACTED if any(w in key.lower() for w in _SENSITIVE_PARAMS) else val}"
            for key, val in pairs
        )
    else:
        query = parts.query
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


_DURATION_UNITS = (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0))
_SIZE_UNITS = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))


def format_duration(seconds: float) -> str:
    """1800.0 -> '30m', 90.0 -> '90s', 0.25 -> '250ms'."""
    for suffix, size in _DURATION_UNITS:
        if seconds >= size and (seconds / size).is_integer():
            return f"{int(seconds / size)}{suffix}"
    if (seconds * 1000).is_integer():
        return f"{int(seconds * 1000)}ms"
    return f"{seconds:.6f}".rstrip("0").rstrip(".") + "s"


def _size_has_unit(size: int) -> bool:
    return any(size % unit == 0 for _, unit in _SIZE_UNITS)


def format_size(size: int) -> str:
    """15728640 -> '15 MiB'; sizes that are no whole number of KiB stay bytes."""
    for suffix, unit in _SIZE_UNITS:
        if size % unit == 0:
            return f"{size // unit} {suffix}"
    return f"{size} B"
