"""Parsers for the HTTP response headers the fetcher acts on. Pure: values in, values out."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_MAX_AGE = re.compile(r'(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)', re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)

# Content-Encoding values the fetcher decodes itself, mapped to the zlib window bits to use.
GZIP_WBITS = 16 + 15
ZLIB_WBITS = 15
RAW_DEFLATE_WBITS = -15
_ENCODINGS = {"gzip": GZIP_WBITS, "x-gzip": GZIP_WBITS, "deflate": ZLIB_WBITS}


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from `now` given a Retry-After value (delay-seconds or an HTTP-date).

    A date in the past gives 0.0; anything unparseable, negative or non-finite gives None.
    A naive `now` is taken as UTC.
    """
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_max_age(value: str | None) -> float | None:
    """`max-age` of a Cache-Control header in seconds; 0.0 for no-store/no-cache; else None."""
    if not value:
        return None
    if match := _MAX_AGE.search(value):
        return float(match.group(1))
    if _NO_STORE.search(value):
        return 0.0
    return None


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type in lower case, charset) of a Content-Type header; (None, None) when absent."""
    if not value:
        return None, None
    head, _, params = value.partition(";")
    media = head.strip().lower() or None
    charset = None
    for param in params.split(";"):
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").strip() or None
    return media, charset


class EncodingRefused(ValueError):
    """The Content-Encoding is stacked or not one the fetcher decodes; the message says which."""


def content_encoding_wbits(value: str | None) -> int | None:
    """zlib window bits for a Content-Encoding header, or None for an identity body.

    Raises EncodingRefused for more than one layer ("gzip, gzip") or an unknown coding ("br").
    """
    if not value:
        return None
    codings = [c.strip().lower() for c in value.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise EncodingRefused(f"stacked content encodings refused ({', '.join(codings)})")
    wbits = _ENCODINGS.get(codings[0])
    if wbits is None:
        raise EncodingRefused(f"unsupported content encoding {codings[0]!r}")
    return wbits


def format_size(size: int) -> str:
    """A byte count as people read it: '15 MiB', '512 KiB', '1000 bytes'."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            amount = size / factor
            return f"{amount:.0f} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{size} bytes"


def format_seconds(seconds: float) -> str:
    """'30 s', '2.5 s': a configured duration for a message."""
    return f"{seconds:.0f} s" if seconds == int(seconds) else f"{seconds:g} s"
