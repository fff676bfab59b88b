"""Expected fetch failures: the internal exception and the mapping from httpx errors. No I/O.

`FetchFailure` never leaves `monitor.fetch`: `Fetcher` turns it into a `FetchResult` error.
"""

from __future__ import annotations

import os
import ssl

import httpx

from monitor.domain import FetchErrorCode
from monitor.fetch.headers import format_seconds

_MAX_DETAIL = 200


class FetchFailure(Exception):
    """An expected failure with its stable code and a one-line, secret-free message."""

    def __init__(self, code: FetchErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_DETAIL else line[: _MAX_DETAIL - 1] + "…"


def _detail(exc: BaseException) -> str:
    """The most specific readable reason in the chain: an OS error's text, else the message."""
    for inner in reversed(_chain(exc)):
        if isinstance(inner, OSError) and inner.errno:
            return _one_line(os.strerror(inner.errno).lower())
        if isinstance(inner, OSError) and inner.strerror:
            return _one_line(inner.strerror.lower())
    for inner in _chain(exc):
        if str(inner):
            return _one_line(str(inner))
    return type(exc).__name__


def _tls_detail(exc: BaseException) -> str | None:
    for inner in _chain(exc):
        if isinstance(inner, ssl.SSLCertVerificationError):
            return _one_line(inner.verify_message or inner.reason or str(inner))
        if isinstance(inner, ssl.SSLError):
            return _one_line(inner.reason or str(inner))
    return None


def from_httpx_error(
    exc: Exception, *, connect_timeout: float, read_timeout: float
) -> FetchFailure | None:
    """The FetchFailure for an httpx/transport error, or None when it is a bug to re-raise."""
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchFailure(
            FetchErrorCode.TIMEOUT, f"connect timed out after {format_seconds(connect_timeout)}"
        )
    if isinstance(exc, httpx.ReadTimeout):
        return FetchFailure(
            FetchErrorCode.TIMEOUT, f"read timed out after {format_seconds(read_timeout)}"
        )
    if isinstance(exc, httpx.TimeoutException):
        return FetchFailure(FetchErrorCode.TIMEOUT, f"timed out ({_detail(exc)})")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FetchFailure(FetchErrorCode.UNSUPPORTED_SCHEME, "unsupported scheme")
    if isinstance(exc, httpx.InvalidURL):
        return FetchFailure(FetchErrorCode.INVALID_URL, f"invalid URL ({_detail(exc)})")
    if isinstance(exc, httpx.TransportError):
        tls = _tls_detail(exc)
        if tls is not None:
            return FetchFailure(FetchErrorCode.TLS, f"TLS failure ({tls})")
        if isinstance(exc, httpx.ConnectError):
            return FetchFailure(FetchErrorCode.CONNECTION, f"cannot connect ({_detail(exc)})")
        return FetchFailure(FetchErrorCode.CONNECTION, f"connection failed ({_detail(exc)})")
    return None
