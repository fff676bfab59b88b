"""Turns one HTTP response into a FetchResult or a redirect to follow. Network I/O (body reads).

Everything here looks at a single hop; the Fetcher strings hops together and fills in the
requested URL, the final URL and `permanent_redirect_to`.
"""

from __future__ import annotations

import enum
import http
from dataclasses import dataclass
from datetime import datetime

import httpx

from monitor.domain import FetchError, FetchErrorCode, FetchResult, FetchStatus
from monitor.fetch.body import read_capped
from monitor.fetch.headers import format_seconds, parse_content_type, parse_max_age
from monitor.fetch.headers import parse_retry_after as parse_retry_after_header

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_HTML_STARTS = (
    b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<!--", b"<script",
    b"<link", b"<div", b"<p>", b"<p ",
)  # fmt: skip


class Kind(enum.Enum):
    FEED = "feed"
    PAGE = "page"


@dataclass(frozen=True, slots=True)
class Redirect:
    status: int
    location: str  # as sent, maybe relative


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


def looks_like_html(body: bytes) -> bool:
    """True when a body without Content-Type starts the way HTML documents start."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf").lstrip().lower()
    return head.startswith(_HTML_STARTS)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase  # never the server's own reason text
    except ValueError:
        return "unknown status"


def _error(
    url: str, code: FetchErrorCode, message: str, *, http_status: int | None = None
) -> FetchResult:
    return FetchResult(
        url=url,
        final_url=url,
        status=FetchStatus.ERROR,
        http_status=http_status,
        error=FetchError(code, message),
    )


def _status_error(url: str, response: httpx.Response, now: datetime) -> FetchResult:
    status = response.status_code
    message = f"HTTP {status} {_reason(status)}"
    retry_after = None
    header = response.headers.get("retry-after")
    if status in RETRY_AFTER_STATUSES and header is not None:
        retry_after = parse_retry_after_header(header, now)
        if retry_after is not None:
            message += f" (retry after {format_seconds(round(retry_after))})"
    if status in REDIRECT_STATUSES:
        message += " without a Location header"
    return FetchResult(
        url=url,
        final_url=url,
        status=FetchStatus.ERROR,
        http_status=status,
        retry_after_s=retry_after,
        cache_max_age_s=parse_max_age(response.headers.get("cache-control")),
        error=FetchError(FetchErrorCode.HTTP_STATUS, message),
    )


async def interpret(
    url: str,
    response: httpx.Response,
    *,
    kind: Kind,
    cap: int,
    sent: Validators,
    now: datetime,
) -> FetchResult | Redirect:
    """What one response means; reads the body only when it is going to be returned."""
    status = response.status_code
    headers = response.headers
    if status in REDIRECT_STATUSES and headers.get("location", "").strip():
        return Redirect(status, headers["location"].strip())
    max_age = parse_max_age(headers.get("cache-control"))
    etag = headers.get("etag")
    last_modified = headers.get("last-modified")
    if status == 304:
        return FetchResult(
            url=url,
            final_url=url,
            status=FetchStatus.NOT_MODIFIED,
            http_status=status,
            etag=etag or sent.etag,
            last_modified=last_modified or sent.last_modified,
            cache_max_age_s=max_age,
        )
    if not 200 <= status < 300 or status == 206:
        return _status_error(url, response, now)
    if status in (204, 205):
        return _error(url, FetchErrorCode.EMPTY, "empty response", http_status=status)
    media, charset = parse_content_type(headers.get("content-type"))
    if kind is Kind.PAGE and media is not None and media not in HTML_TYPES:
        return _error(
            url, FetchErrorCode.BAD_CONTENT_TYPE, f"not an HTML page ({media})", http_status=status
        )
    body = await read_capped(response, cap)  # checks encoding and Content-Length first
    if not body:
        return _error(url, FetchErrorCode.EMPTY, "empty response", http_status=status)
    if kind is Kind.PAGE and media is None and not looks_like_html(body):
        return _error(
            url,
            FetchErrorCode.BAD_CONTENT_TYPE,
            "not an HTML page (no content type, and the body does not look like HTML)",
            http_status=status,
        )
    return FetchResult(
        url=url,
        final_url=url,
        status=FetchStatus.OK,
        http_status=status,
        body=body,
        content_type=media,
        charset=charset,
        etag=etag,
        last_modified=last_modified,
        cache_max_age_s=max_age,
    )
