"""Turns pydantic validation errors into short problems a user can act on. Pure.

A problem names the key (``feeds[3].url``) and says what is wrong in words ("expected a
duration such as '30s'", "unknown key (did you mean 'max_redirects'?)"). It never shows the
value of a secret, nor the userinfo of any URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from monitor.config_loader.schema import Loc, annotation_at, is_secret, model_at
from monitor.errors import did_you_mean
from monitor.settings import SettingError

_EXPECTED = {
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "tuple_type": "expected an array",
    "list_type": "expected an array",
    "iterable_type": "expected an array",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
    "dict_type": "expected a table",
    "date_type": "expected a date such as 2024-10-24",
    "date_parsing": "expected a date such as 2024-10-24",
    "date_from_datetime_parsing": "expected a date such as 2024-10-24",
    "date_from_datetime_inexact": "expected a date such as 2024-10-24 (without a time)",
    "missing": "missing required key",
    "string_too_short": "must not be empty",
}
_IDENTIFIER_HINT = (
    "expected an id of letters, digits, '_', '.' or '-' "
    "(at most 64, starting with a letter or digit)"
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"]*@")
REDACTED = "<redacted>"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one setting; `loc` is () for the configuration as a whole."""

    loc: Loc
    text: str


def problems_from(error: ValidationError) -> list[Problem]:
    """One problem per pydantic error, in the order pydantic found them."""
    return [_problem(detail) for detail in error.errors()]


def _problem(detail: ErrorDetails) -> Problem:
    loc: Loc = tuple(detail["loc"])
    kind = detail["type"]
    context: dict[str, Any] = dict(detail.get("ctx") or {})
    cause = context.get("error")
    if isinstance(cause, SettingError):
        return Problem(cause.loc, str(cause))
    if kind == "extra_forbidden":
        return Problem(loc, _unknown_key(loc))
    if kind in ("value_error", "assertion_error"):
        return Problem(loc, str(cause) if cause is not None else detail["msg"])
    if kind == "literal_error":
        return Problem(loc, f"expected one of {context.get('expected', '')}")
    if kind == "string_pattern_mismatch":
        return Problem(loc, _IDENTIFIER_HINT)
    text = _EXPECTED.get(kind) or detail["msg"].replace("Input should be", "must be")
    if kind.endswith(("_type", "_parsing")) and (shown := _shown_input(loc, detail["input"])):
        text += f" (got {shown})"
    return Problem(loc, text)


def _unknown_key(loc: Loc) -> str:
    parent = model_at(loc[:-1])
    name = loc[-1]
    if parent is None or not isinstance(name, str):
        return "unknown key"
    names = list(parent.model_fields)
    if hint := did_you_mean(name, names, quoted=True):
        return f"unknown key ({hint})"
    return "unknown key (expected one of: " + ", ".join(names) + ")"


def _shown_input(loc: Loc, value: Any) -> str | None:
    """A short rendering of a wrong value, or None when it might be a secret or is too long."""
    if is_secret(annotation_at(loc)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | date):
        return str(value)
    if isinstance(value, str) and len(value) <= 60 and "@" not in value:
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return None


def scrub(message: str, secrets: Iterable[str]) -> str:
    """The message with URL userinfo and every known secret value replaced by <redacted>."""
    message = _USERINFO.sub(rf"\1{REDACTED}@", message)
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 4:
            message = message.replace(secret, REDACTED)
    return message
