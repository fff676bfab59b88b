"""Signed webhook delivery (Standard Webhooks) through the connect-time address guard. Network.

One `send` is one POST of `webhook_body(digest)`, the same bytes on every attempt, with
``webhook-id`` (the delivery id, constant across attempts), ``webhook-timestamp`` (the attempt's
time) and ``webhook-signature``. The whole attempt (resolve, connect, TLS, request, response)
is bounded by the channel's `timeout`. Redirects are never followed (Standard Webhooks), and
every connection goes through `GuardedBackend`, so the endpoint (and any name it resolves to)
must be a public address unless the channel sets `allow_private`.

Webhook URLs are secrets (Slack and Discord put tokens in the path): an outcome's error names
the endpoint only as ``scheme://host[:port]``.
"""

from __future__ import annotations

import asyncio
import http
import re
import ssl
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import unquote

import httpx

from monitor.digest.model import webhook_body
from monitor.domain import FetchErrorCode
from monitor.errors import ConfigError
from monitor.fetch import default_user_agent
from monitor.fetch.addresses import AddressPolicy
from monitor.fetch.failure import FetchFailure, from_httpx_error
from monitor.fetch.guard import GuardedBackend, Resolver, system_resolver
from monitor.fetch.headers import format_seconds, parse_retry_after
from monitor.fetch.transport import GuardedTransport, NoCookies
from monitor.notify.base import Attempt, SendOutcome
from monitor.notify.signing import secret_key, sign

MAX_RESPONSE_BYTES = 64 * 1024  # read at most this much of an answer (then hang up)
_EVERY_ADDRESS = ("0.0.0.0/0", "::/0")  # the address policy of an allow_private channel
_MIN_TOKEN = 8  # path and query pieces this long are scrubbed from messages on their own


def endpoint_name(url: httpx.URL) -> str:
    """``scheme://host[:port]``: how messages name a webhook endpoint without its secrets."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = "" if url.port is None else f":{url.port}"
    return f"{url.scheme}://{host}{port}"


def _secret_parts(url: str) -> list[str]:
    """Pieces of `url` that may hold a token (path, query, userinfo), longest first.

    Short path segments ("hooks", "api") are left alone, and so is anything that is part of
    the endpoint's name, so that messages stay readable.
    """
    parsed = httpx.URL(url)
    endpoint = endpoint_name(parsed)
    raw_path = parsed.raw_path.decode("ascii", "replace")
    whole = [url, raw_path, parsed.query.decode("ascii", "replace"), parsed.fragment]
    whole.append(parsed.userinfo.decode("ascii", "replace"))
    segments = [p for p in re.split(r"[/?&=#;:,]+", raw_path) if len(p) >= _MIN_TOKEN]
    pieces = whole + segments
    pieces += [unquote(p) for p in pieces]
    return sorted({p for p in pieces if len(p) > 1 and p not in endpoint}, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` on one line with every secret piece replaced by ``…``."""
    for piece in secrets:
        text = text.replace(piece, "…")
    return " ".join(text.split())


def outcome_for_status(status: int, retry_after: str | None, now: datetime) -> SendOutcome:
    """What an HTTP status means for the delivery (Standard Webhooks' retry rules)."""
    try:
        phrase = f"HTTP {status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        phrase = f"HTTP {status}"
    if 200 <= status < 300:
        return SendOutcome.sent()
    if 300 <= status < 400:
        return SendOutcome.dead(f"endpoint redirected (HTTP {status}); redirects are not followed")
    if status == 410:
        return SendOutcome.dead(
            f"endpoint is gone ({phrase}); disabling the channel", disable_channel=True
        )
    if status in (408, 429) or 500 <= status < 600:
        wait = None
        if status in (429, 503) and retry_after is not None:
            wait = parse_retry_after(retry_after, now)
        note = "" if wait is None else f"; asked to retry after {format_seconds(wait)}"
        return SendOutcome.retry(f"endpoint answered {phrase}{note}", retry_after=wait)
    if 400 <= status < 500:
        return SendOutcome.dead(f"endpoint refused the digest ({phrase})")
    return SendOutcome.retry(f"endpoint answered an unexpected {phrase}")


async def _read_capped(response: httpx.Response) -> None:
    """Read (and drop) at most MAX_RESPONSE_BYTES of the answer, so a small one frees the
    connection for reuse; a bigger one is cut off when the response closes."""
    received = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received >= MAX_RESPONSE_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status already decided the outcome


class WebhookNotifier:
    """Posts signed digests to one webhook endpoint (the `Notifier` protocol)."""

    def __init__(
        self,
        channel_id: str,
        url: str,
        secret: str,
        *,
        timeout: float,
        allow_private: bool,
        resolver: Resolver | None = None,
        user_agent: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.channel_id = channel_id
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            raise ConfigError(f"channel {channel_id!r}: the webhook url is not a URL") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigError(f"channel {channel_id!r}: a webhook url must be http:// or https://")
        try:
            secret_key(secret)
        except ValueError as exc:
            raise ConfigError(f"channel {channel_id!r}: {exc}") from None
        self._url = url
        self._secret = secret
        self._timeout = timeout
        self._endpoint = endpoint_name(parsed)
        self._secret_parts = _secret_parts(url)
        policy = AddressPolicy(_EVERY_ADDRESS if allow_private else ())
        backend = GuardedBackend(policy, resolver or system_resolver)
        transport = GuardedTransport(
            backend=backend,
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            limits=httpx.Limits(
                max_connections=2, max_keepalive_connections=1, keepalive_expiry=5.0
            ),
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": user_agent or default_user_agent()},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            cookies=NoCookies(),
        )

    def __repr__(self) -> str:
        return f"WebhookNotifier({self.channel_id!r}, {self._endpoint!r})"

    def _error(self, text: str) -> str:
        return scrub(text, self._secret_parts)

    async def send(self, attempt: Attempt) -> SendOutcome:
        digest = attempt.digest
        body = webhook_body(digest)
        timestamp = int(attempt.now.timestamp())
        headers = {
            "webhook-id": digest.delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._secret, digest.delivery_id, timestamp, body),
            "content-type": "application/json",
        }
        outcome: SendOutcome | None = None
        try:
            async with asyncio.timeout(self._timeout):
                async with self._client.stream(
                    "POST", self._url, content=body, headers=headers
                ) as response:
                    outcome = outcome_for_status(
                        response.status_code, response.headers.get("retry-after"), attempt.now
                    )
                    await _read_capped(response)
        except TimeoutError:
            if outcome is not None:
                return outcome  # the answer came; only reading the rest of it ran late
            return self._timed_out()
        except FetchFailure as failure:
            return self._from_failure(failure)
        except httpx.HTTPError as exc:
            mapped = from_httpx_error(
                exc, connect_timeout=self._timeout, read_timeout=self._timeout
            )
            if mapped is None:
                return SendOutcome.retry(self._error(f"{type(exc).__name__} ({self._endpoint})"))
            return self._from_failure(mapped)
        return outcome

    def _timed_out(self) -> SendOutcome:
        return SendOutcome.retry(
            f"timed out after {format_seconds(self._timeout)} ({self._endpoint})"
        )

    def _from_failure(self, failure: FetchFailure) -> SendOutcome:
        message = self._error(f"{failure.message} ({self._endpoint})")
        if failure.code is FetchErrorCode.TIMEOUT:
            return self._timed_out()
        if failure.code in (
            FetchErrorCode.BLOCKED_ADDRESS,
            FetchErrorCode.TLS,
            FetchErrorCode.UNSUPPORTED_SCHEME,
            FetchErrorCode.INVALID_URL,
        ):
            return SendOutcome.dead(message)
        return SendOutcome.retry(message)  # DNS, connection refused or reset, protocol errors

    async def aclose(self) -> None:
        await self._client.aclose()
