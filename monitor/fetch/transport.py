"""Builds the fetcher's httpx clients: guarded transports, shared TLS context, no cookies. No I/O.

Why several clients: httpcore 1.0.9's connection pool re-examines every connection it holds
(and calls `len([c.is_idle() for c in connections])` once per idle connection) on each request
start and finish, so its cost per request grows with the square of the number of idle
connections. A bare client with 100 requests in flight to one origin measured about 56 polls/s
and 17 ms CPU per poll against an ideal of 500/s. Sharding hosts over several small pools keeps
each pool to a handful of connections; tests/benchmarks/bench_fetch.py has the figures.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import math
import ssl
import urllib.request
import zlib

import httpcore
import httpx

from monitor.fetch.guard import GuardedBackend
from monitor.settings import FetchSettings

REQUESTS_PER_SHARD = 4  # aim: about this many requests in flight per connection pool
MAX_SHARDS = 32
KEEPALIVE_PER_SHARD = 8
KEEPALIVE_EXPIRY_S = 5.0


class NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that never stores anything: feeds are fetched anonymously, always."""

    def extract_cookies(
        self, response: http.client.HTTPResponse, request: urllib.request.Request
    ) -> None:
        return None

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        return None


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with the address guard as httpcore's network backend.

    httpx offers no argument for the network backend, so the pool it builds is replaced by an
    identical one that has it (httpx 0.27/0.28 keep the pool in `_pool`; pinned in pyproject).
    """

    def __init__(
        self, *, backend: GuardedBackend, ssl_context: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )


def shard_count(settings: FetchSettings) -> int:
    return max(1, min(MAX_SHARDS, math.ceil(settings.max_in_flight / REQUESTS_PER_SHARD)))


def shard_of(host: str, shards: int) -> int:
    """Stable shard for a host, so one host's connections always live in one pool."""
    return zlib.crc32(host.encode("utf-8", "surrogatepass")) % shards


def build_clients(
    settings: FetchSettings,
    *,
    user_agent: str,
    backend: GuardedBackend,
    ssl_context: ssl.SSLContext,
) -> tuple[httpx.AsyncClient, ...]:
    """The clients a Fetcher uses for its whole life, one per shard.

    With `settings.proxy` every request goes to the proxy without the address guard: the
    proxy connects onwards, so the address checks are then the proxy's job.
    """
    limits = httpx.Limits(
        max_connections=settings.max_in_flight,
        max_keepalive_connections=KEEPALIVE_PER_SHARD,
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
    )
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.connect_timeout,
    )
    headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
    clients = []
    for _ in range(shard_count(settings)):
        transport: httpx.AsyncBaseTransport
        if settings.proxy is not None:
            transport = httpx.AsyncHTTPTransport(
                verify=ssl_context,
                trust_env=False,
                limits=limits,
                proxy=settings.proxy.get_secret_value(),
            )
        else:
            transport = GuardedTransport(backend=backend, ssl_context=ssl_context, limits=limits)
        clients.append(
            httpx.AsyncClient(
                transport=transport,
                headers=headers,
                timeout=timeout,
                follow_redirects=False,
                trust_env=False,
                cookies=NoCookies(),
            )
        )
    return tuple(clients)
