"""The connect-time address guard: blocked targets never see a connection attempt."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import pytest

from monitor.domain import FetchErrorCode, FetchResult, FetchStatus
from monitor.fetch import Fetcher, default_user_agent
from monitor.fetch.addresses import AddressPolicy
from monitor.fetch.failure import FetchFailure
from monitor.fetch.guard import GuardedBackend
from monitor.settings import FetchSettings
from tests.fixtures_http import FakeResolver, LoopbackHTTPServer


def fetch(settings: FetchSettings, *urls: str, resolver: Any = None) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(settings, user_agent=default_user_agent(), resolver=resolver) as f:
            return [await f.fetch_feed(url) for url in urls]

    return asyncio.run(go())


@pytest.fixture
def other_server() -> Iterator[LoopbackHTTPServer]:
    """A server on 127.0.0.2 (Linux routes all of 127/8 to lo), NOT in the allowlist."""
    server = LoopbackHTTPServer(bind="127.0.0.2").start()
    server.route("/", body="secret")
    try:
        yield server
    finally:
        server.stop()


def test_redirect_to_another_loopback_address_is_blocked(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, other_server: LoopbackHTTPServer
) -> None:
    http_server.redirect("/feed", other_server.url("/"))
    (result,) = fetch(fetch_settings, http_server.url("/feed"))
    assert result.error is not None
    assert result.error.code is FetchErrorCode.BLOCKED_ADDRESS
    assert result.error.message == "refusing non-public address 127.0.0.2 (host 127.0.0.2)"
    assert result.final_url == other_server.url("/")
    assert other_server.connections == 0 and other_server.requests == []


def test_name_resolving_to_a_blocked_address_is_never_connected(
    fetch_settings: FetchSettings, other_server: LoopbackHTTPServer
) -> None:
    resolver = FakeResolver({"inside.test": ["127.0.0.2"]})
    (result,) = fetch(fetch_settings, other_server.url("/", host="inside.test"), resolver=resolver)
    assert result.error is not None
    assert result.error.message == "refusing non-public address 127.0.0.2 (host inside.test)"
    assert other_server.connections == 0


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://169.254.169.254/latest/meta-data/", FetchErrorCode.BLOCKED_ADDRESS),
        ("http://[::1]/", FetchErrorCode.BLOCKED_ADDRESS),
        ("http://[::ffff:10.0.0.1]/", FetchErrorCode.BLOCKED_ADDRESS),
        ("http://100.64.0.1/", FetchErrorCode.BLOCKED_ADDRESS),
        ("http://[fd00::1]/", FetchErrorCode.BLOCKED_ADDRESS),
        ("http://10.0.0.1:8080/", FetchErrorCode.BLOCKED_ADDRESS),
        ("http://0x7f.1/", FetchErrorCode.INVALID_URL),
        ("http://2130706433/", FetchErrorCode.INVALID_URL),
        ("file:///etc/passwd", FetchErrorCode.UNSUPPORTED_SCHEME),
        ("ftp://example.test/feed", FetchErrorCode.UNSUPPORTED_SCHEME),
        ("gopher://example.test/", FetchErrorCode.UNSUPPORTED_SCHEME),
    ],
)
def test_redirects_to_forbidden_targets(
    http_server: LoopbackHTTPServer,
    fetch_settings: FetchSettings,
    location: str,
    expected: FetchErrorCode,
) -> None:
    http_server.redirect("/feed", location)
    resolver = FakeResolver({})
    (result,) = fetch(fetch_settings, http_server.url("/feed"), resolver=resolver)
    assert result.status is FetchStatus.ERROR
    assert result.error is not None and result.error.code is expected
    if expected is FetchErrorCode.BLOCKED_ADDRESS:
        assert result.error.message.startswith("refusing non-public address")
    assert resolver.calls == []
    assert len(http_server.requests) == 1


def test_any_private_record_refuses_the_host(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body="<rss/>")
    resolver = FakeResolver({"mixed.test": ["127.0.0.1", "10.0.0.1"]})
    url = http_server.url("/feed", host="mixed.test")
    (result,) = fetch(fetch_settings, url, resolver=resolver)
    assert result.error is not None
    assert result.error.code is FetchErrorCode.BLOCKED_ADDRESS
    assert result.error.message == "refusing non-public address 10.0.0.1 (host mixed.test)"
    assert http_server.connections == 0


def test_rebinding_between_connections_is_refused(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body="<rss/>")
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    url = http_server.url("/feed", host="rebind.test")
    first, second = fetch(fetch_settings, url, url, resolver=resolver)
    assert first.status is FetchStatus.OK
    assert second.error is not None
    assert second.error.code is FetchErrorCode.BLOCKED_ADDRESS
    assert resolver.calls == ["rebind.test", "rebind.test"]  # checked on every connection
    assert http_server.connections == 1


def test_rebinding_during_a_redirect_is_refused(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.redirect("/a", "/b")
    http_server.route("/b", body="<rss/>")
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    (result,) = fetch(fetch_settings, http_server.url("/a", host="rebind.test"), resolver=resolver)
    assert result.error is not None
    assert result.error.code is FetchErrorCode.BLOCKED_ADDRESS
    assert [r.path for r in http_server.requests] == ["/a"]


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Stands in for the real network: records connect attempts and refuses them all."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.attempts.append(host)
        raise httpcore.ConnectError("refused by the test")


@pytest.mark.parametrize(
    ("answers", "blocked"),
    [
        (["10.0.0.1"], "10.0.0.1"),
        (["93.184.215.14", "192.168.0.7"], "192.168.0.7"),
        (["2606:4700::1111", "fd00::1"], "fd00::1"),
        (["::ffff:169.254.169.254"], "::ffff:169.254.169.254"),
        (["100.64.0.1"], "100.64.0.1"),
        (["0.0.0.0"], "0.0.0.0"),
    ],
)
def test_guard_connects_to_nothing_when_any_address_is_blocked(
    answers: list[str], blocked: str
) -> None:
    inner = RecordingBackend()
    guard = GuardedBackend(AddressPolicy(), FakeResolver({"x.test": answers}), inner)
    with pytest.raises(FetchFailure) as info:
        asyncio.run(guard.connect_tcp("x.test", 80, timeout=1))
    assert info.value.code is FetchErrorCode.BLOCKED_ADDRESS
    assert info.value.message == f"refusing non-public address {blocked} (host x.test)"
    assert inner.attempts == []


def test_guard_connects_only_to_the_checked_addresses_in_order() -> None:
    inner = RecordingBackend()
    answers = ["93.184.215.14", "2606:4700::1111"]
    guard = GuardedBackend(AddressPolicy(), FakeResolver({"x.test": answers}), inner)
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(guard.connect_tcp("x.test", 443, timeout=1))
    assert inner.attempts == answers


def test_guard_checks_ip_literals_without_resolving() -> None:
    inner = RecordingBackend()
    resolver = FakeResolver({})
    guard = GuardedBackend(AddressPolicy(), resolver, inner)
    with pytest.raises(FetchFailure):
        asyncio.run(guard.connect_tcp("169.254.169.254", 80, timeout=1))
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(guard.connect_tcp("93.184.215.14", 80, timeout=1))
    assert resolver.calls == [] and inner.attempts == ["93.184.215.14"]


def test_guard_refuses_unix_sockets() -> None:
    guard = GuardedBackend(AddressPolicy(), FakeResolver({}), RecordingBackend())
    with pytest.raises(FetchFailure):
        asyncio.run(guard.connect_unix_socket("/var/run/docker.sock"))


def test_slow_resolver_is_a_connect_timeout(fetch_settings: FetchSettings) -> None:
    async def stuck(host: str, port: int) -> list[str]:
        await asyncio.sleep(30)
        return ["127.0.0.1"]

    settings = fetch_settings.model_copy(update={"connect_timeout": 0.2})
    (result,) = fetch(settings, "http://stuck.test/feed", resolver=stuck)
    assert result.error is not None
    assert result.error.code is FetchErrorCode.TIMEOUT
    assert result.error.message == "connect timed out after 0.2 s"
