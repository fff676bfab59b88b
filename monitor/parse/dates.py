"""Feed dates to aware UTC datetimes; anything unparseable or unrepresentable becomes None. Pure."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

from feedparser.datetimes import _parse_date as _feedparser_parse_date


def from_struct_time(value: Any) -> datetime | None:
    """A UTC `time.struct_time` (feedparser's `*_parsed`) as an aware datetime, else None."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def parse_date_text(text: str) -> datetime | None:
    """Any date format feedparser knows (RFC 822, W3C-DTF, ISO 8601, ...) as aware UTC."""
    text = text.strip()
    if not text or len(text) > 100:
        return None
    try:
        parsed = _feedparser_parse_date(text)
    except (ValueError, OverflowError, TypeError, IndexError):  # a handler choked: no date
        return None
    return from_struct_time(parsed)


def from_rfc3339(value: Any) -> datetime | None:
    """A JSON Feed date (RFC 3339) as aware UTC; naive values are taken as UTC."""
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return parse_date_text(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def timestamp_of(value: datetime | None) -> float | None:
    """Seconds since the epoch, for ordering; None stays None."""
    return None if value is None else value.timestamp()
