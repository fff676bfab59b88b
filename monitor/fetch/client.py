"""The Fetcher: the only code that GETs feeds and article pages. Network I/O.

Every fetch returns a `FetchResult`; expected failures are results with an error, only bugs
raise. What a fetch does, in order, for each hop (the first URL and every redirect target):

- `monitor.urls.check_url` (scheme, parser differentials, odd numeric hosts);
- a host slot from the `HostLimiter` (per-host concurrency and spacing, then a global slot);
- the GET, whose connection is opened by the `GuardedBackend`: the host is resolved once,
  every address is checked and the socket goes to a checked address (TLS is still verified
  against the host name);
- the response is interpreted (`responses.interpret`): redirects are followed here, by hand,
  at most `max_redirects` times; bodies are read with the size cap on decoded bytes.

The total wall time spent on hops is limited by `feed_deadline` / `page_deadline`, besides the
connect and read timeouts; time spent queueing for a politeness slot does not count.

With `settings.proxy` set, requests go through that proxy and the connect-time address guard
is not used (the proxy makes the onward connections, so address checks move to the proxy);
literal IP addresses in URLs are still refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import ssl
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import unquote, urldefrag, urljoin, urlsplit, urlunsplit

import httpx

from monitor import __version__
from monitor.domain import FetchError, FetchErrorCode, FetchResult, FetchStatus
from monitor.fetch.addresses import AddressPolicy
from monitor.fetch.body import drain_for_reuse
from monitor.fetch.failure import FetchFailure, from_httpx_error
from monitor.fetch.guard import GuardedBackend, Resolver, refusal, system_resolver
from monitor.fetch.headers import format_seconds
from monitor.fetch.politeness import HostLimiter
from monitor.fetch.responses import (
    PERMANENT_REDIRECT_STATUSES,
    Kind,
    Redirect,
    Validators,
    interpret,
)
from monitor.fetch.transport import build_clients, shard_of
from monitor.settings import FetchSettings
from monitor.urls import UnsafeURLError, check_url, host_of, redact_url

PROJECT_URL = "https://github.com/monitor-news/monitor"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


def default_user_agent() -> str:
    """The honest User-Agent: 'monitor/<version> (+<project url>)'."""
    return f"monitor/{__version__} (+{PROJECT_URL})"


def _header_safe(value: str | None) -> str | None:
    """A stored validator if it can be sent as a header value as it is, else None."""
    if value is None or not value.strip():
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    return value.strip()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(scheme),
    )


def _without_userinfo(url: str) -> str:
    """`url` without its user name and password, if it has them."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _scrub(message: str, urls: tuple[str, ...]) -> str:
    """The message with any URL credentials removed."""
    for url in urls:
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        with contextlib.suppress(ValueError):  # redact_url raises on an out-of-range port
            message = message.replace(url, redact_url(url))
        for secret in (parts.password, parts.username):
            if secret:
                message = message.replace(secret, "***").replace(unquote(secret), "***")
    return message


@dataclasses.dataclass(frozen=True, slots=True)
class _Ask:
    """What one fetch asks for."""

    kind: Kind
    headers: dict[str, str]
    sent: Validators
    cap: int
    deadline: float


class Fetcher:
    """GETs feeds and pages with the guard, caps, timeouts and politeness of `FetchSettings`.

    Build one per process (in the composition root) inside the running event loop and close
    it with `aclose()` or ``async with``. `user_agent` is sent as is: the composition root
    passes ``settings.user_agent or default_user_agent()``. `resolver` maps (host, port) to IP
    strings; the default is the event loop's getaddrinfo. `ssl_context` replaces the default
    certificate store (certifi), e.g. for a private CA; certificates are always verified.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        user_agent: str,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._settings = settings
        self._policy = AddressPolicy(settings.allow_private)
        self._backend = GuardedBackend(self._policy, resolver or system_resolver)
        self._limiter = HostLimiter(
            max_in_flight=settings.max_in_flight,
            per_host_in_flight=settings.per_host_in_flight,
            per_host_spacing=settings.per_host_spacing,
        )
        self._clients = build_clients(
            settings,
            user_agent=user_agent,
            backend=self._backend,
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
        )
        self._now: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection; the Fetcher cannot be used afterwards."""
        for client in self._clients:
            await client.aclose()

    async def fetch_feed(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET a feed, conditionally when validators from the last 200 are given."""
        sent = Validators(_header_safe(etag), _header_safe(last_modified))
        headers = {"Accept": FEED_ACCEPT}
        if sent.etag:
            headers["If-None-Match"] = sent.etag
        if sent.last_modified:
            headers["If-Modified-Since"] = sent.last_modified
        ask = _Ask(
            Kind.FEED, headers, sent, self._settings.max_feed_size, self._settings.feed_deadline
        )
        return await self._fetch(url, ask)

    async def fetch_page(self, url: str) -> FetchResult:
        """GET an article page; anything but HTML is refused (BAD_CONTENT_TYPE) unread."""
        ask = _Ask(
            Kind.PAGE,
            {"Accept": PAGE_ACCEPT},
            Validators(),
            self._settings.max_page_size,
            self._settings.page_deadline,
        )
        return await self._fetch(url, ask)

    async def _fetch(self, url: str, ask: _Ask) -> FetchResult:
        started = time.monotonic()
        hops: list[str] = [url]
        try:
            result = await self._follow(url, ask, hops)
        except FetchFailure as failure:
            result = FetchResult(
                url=url,
                final_url=hops[-1],
                status=FetchStatus.ERROR,
                error=FetchError(failure.code, _scrub(failure.message, tuple(hops))),
            )
        return dataclasses.replace(result, elapsed_s=time.monotonic() - started)

    def _checked(self, url: str) -> str:
        """`url` if it may be requested; raises FetchFailure (scheme, syntax, literal IP)."""
        try:
            url = check_url(url)
        except UnsafeURLError as exc:
            code = (
                FetchErrorCode.UNSUPPORTED_SCHEME
                if str(exc).startswith("unsupported scheme")
                else FetchErrorCode.INVALID_URL
            )
            raise FetchFailure(code, str(exc)) from None
        try:
            _ = httpx.URL(url).host  # the form httpx will send: IDNA-decodable, valid port
        except (httpx.InvalidURL, ValueError) as exc:  # idna.IDNAError is a ValueError
            raise FetchFailure(FetchErrorCode.INVALID_URL, f"invalid URL ({exc})") from None
        host = host_of(url)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return url
        if not self._policy.allows(host):
            raise refusal(host, host)
        return url

    async def _follow(self, url: str, ask: _Ask, hops: list[str]) -> FetchResult:
        """Run the hops of one fetch; `hops` collects every URL requested, for the caller."""
        remaining = ask.deadline
        permanent = True
        current = self._checked(url)
        while True:
            async with self._limiter.slot(host_of(current)):
                began = time.monotonic()
                try:
                    async with asyncio.timeout(max(remaining, 0.0)) as scope:
                        outcome = await self._hop(url, current, ask)
                except TimeoutError:
                    if scope.expired():
                        raise FetchFailure(
                            FetchErrorCode.TIMEOUT,
                            f"timed out after {format_seconds(ask.deadline)}",
                        ) from None
                    raise
                finally:
                    remaining -= time.monotonic() - began
            if isinstance(outcome, FetchResult):
                moved = current if len(hops) > 1 and permanent else None
                return dataclasses.replace(
                    outcome, url=url, final_url=current, permanent_redirect_to=moved
                )
            permanent = permanent and outcome.status in PERMANENT_REDIRECT_STATUSES
            target = urldefrag(urljoin(current, outcome.location)).url
            if len(hops) > self._settings.max_redirects:
                raise FetchFailure(
                    FetchErrorCode.TOO_MANY_REDIRECTS,
                    f"too many redirects (more than {self._settings.max_redirects})",
                )
            if target in hops:
                raise FetchFailure(
                    FetchErrorCode.TOO_MANY_REDIRECTS, "too many redirects (redirect loop)"
                )
            hops.append(target)
            current = self._checked(target)
            hops[-1] = current

    def _auth(self, original: str, current: str) -> httpx.BasicAuth | None:
        """A hop's credentials: its URL's own, else the requested URL's on a same-origin hop."""
        parts = urlsplit(current)
        if parts.username is None:
            if _origin(original) != _origin(current):
                return None
            parts = urlsplit(original)
            if parts.username is None:
                return None
        return httpx.BasicAuth(unquote(parts.username), unquote(parts.password or ""))

    async def _hop(self, original: str, url: str, ask: _Ask) -> FetchResult | Redirect:
        client = self._clients[shard_of(host_of(url), len(self._clients))]
        try:
            # Credentials go in the Authorization header only: httpx logs the request's URL
            # ("HTTP Request: GET ..." at INFO, shown by `monitor -v`).
            request = client.build_request("GET", _without_userinfo(url), headers=ask.headers)
            response = await client.send(request, stream=True, auth=self._auth(original, url))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._failure(exc) from None
        try:
            outcome = await interpret(
                url, response, kind=ask.kind, cap=ask.cap, sent=ask.sent, now=self._now()
            )
            await drain_for_reuse(response)  # only on success: never while unwinding
            return outcome
        except httpx.HTTPError as exc:
            raise self._failure(exc) from None
        finally:
            await response.aclose()

    def _failure(self, exc: Exception) -> FetchFailure:
        failure = from_httpx_error(
            exc,
            connect_timeout=self._settings.connect_timeout,
            read_timeout=self._settings.read_timeout,
        )
        if failure is None:
            raise exc
        return failure
