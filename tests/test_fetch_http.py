"""Fetcher against a real loopback server: statuses, validators, redirects, headers, errors."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from pydantic import SecretStr

from monitor.domain import FetchErrorCode, FetchResult, FetchStatus
from monitor.fetch import Fetcher, default_user_agent
from monitor.settings import FetchSettings
from tests.fixtures_http import FakeResolver, LoopbackHTTPServer

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def fetch(settings: FetchSettings, url: str, *, page: bool = False, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        resolver = kwargs.pop("resolver", None)
        async with Fetcher(settings, user_agent=default_user_agent(), resolver=resolver) as f:
            if page:
                return await f.fetch_page(url)
            return await f.fetch_feed(url, **kwargs)

    return asyncio.run(go())


def code(result: FetchResult) -> FetchErrorCode | None:
    return result.error.code if result.error else None


def test_200_with_validators_then_304(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route(
        "/feed",
        body=RSS,
        content_type="application/rss+xml; charset=utf-8",
        etag='"v1"',
        last_modified="Wed, 01 May 2024 10:00:00 GMT",
        headers=[("Cache-Control", "public, max-age=600")],
    )
    first = fetch(fetch_settings, http_server.url("/feed"))
    assert first.status is FetchStatus.OK
    assert (first.http_status, first.body) == (200, RSS)
    assert (first.content_type, first.charset) == ("application/rss+xml", "utf-8")
    assert (first.etag, first.last_modified) == ('"v1"', "Wed, 01 May 2024 10:00:00 GMT")
    assert first.cache_max_age_s == 600.0
    assert first.error is None and first.final_url == first.url

    second = fetch(
        fetch_settings, http_server.url("/feed"), etag=first.etag, last_modified=first.last_modified
    )
    assert second.status is FetchStatus.NOT_MODIFIED
    assert (second.http_status, second.body, second.error) == (304, None, None)
    assert second.etag == '"v1"'
    sent = http_server.requests[-1]
    assert sent.header("if-none-match") == '"v1"'
    assert sent.header("if-modified-since") == "Wed, 01 May 2024 10:00:00 GMT"
    assert http_server.requests[0].header("if-none-match") is None


def test_connections_are_reused_after_304_200_and_errors(
    fetch_settings: FetchSettings,
) -> None:
    server = LoopbackHTTPServer(keep_alive=True).start()
    try:
        server.route("/feed", body=RSS, etag='"v1"')
        server.route("/gone", status=404, body="no such feed")

        async def go() -> list[FetchResult]:
            async with Fetcher(fetch_settings, user_agent=default_user_agent()) as f:
                return [
                    await f.fetch_feed(server.url("/feed")),
                    await f.fetch_feed(server.url("/feed"), etag='"v1"'),
                    await f.fetch_feed(server.url("/feed"), etag='"v1"'),
                    await f.fetch_feed(server.url("/gone")),
                    await f.fetch_feed(server.url("/feed")),
                ]

        results = asyncio.run(go())
    finally:
        server.stop()
    assert [r.http_status for r in results] == [200, 304, 304, 404, 200]
    assert server.connections == 1  # small unread bodies are drained, not the connection


def test_request_headers_are_honest(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body=RSS)
    http_server.route("/page", body="<html></html>", content_type="text/html")
    fetch(fetch_settings, http_server.url("/feed"))
    fetch(fetch_settings, http_server.url("/page"), page=True)
    feed, page = http_server.requests
    for sent in (feed, page):
        assert sent.header("user-agent") == default_user_agent()
        assert sent.header("accept-encoding") == "gzip, deflate"
        assert sent.header("cookie") is None
    assert "application/rss+xml" in (feed.header("accept") or "")
    assert (page.header("accept") or "").startswith("text/html")


def test_validators_with_control_characters_are_not_sent(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body=RSS)
    result = fetch(fetch_settings, http_server.url("/feed"), etag='"a"\r\nX-Evil: 1')
    assert result.status is FetchStatus.OK
    assert http_server.requests[0].header("if-none-match") is None
    assert http_server.requests[0].header("x-evil") is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, status: int
) -> None:
    http_server.route("/feed", status=status, retry_after="3600", body="slow down")
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert result.status is FetchStatus.ERROR
    assert code(result) is FetchErrorCode.HTTP_STATUS
    assert result.http_status == status
    assert result.retry_after_s == 3600.0
    assert result.error is not None and f"HTTP {status}" in result.error.message


def test_retry_after_http_date(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    when = datetime.now(UTC) + timedelta(seconds=600)
    http_server.route("/feed", status=429, retry_after=format_datetime(when, usegmt=True))
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert result.retry_after_s is not None
    assert 500 < result.retry_after_s <= 600


@pytest.mark.parametrize(
    ("status", "message"),
    [(500, "HTTP 500 Internal Server Error"), (404, "HTTP 404 Not Found"), (410, "HTTP 410 Gone")],
)
def test_error_statuses(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, status: int, message: str
) -> None:
    http_server.route("/feed", status=status, body="oops", retry_after="60")
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert result.status is FetchStatus.ERROR
    assert code(result) is FetchErrorCode.HTTP_STATUS
    assert result.error is not None and result.error.message == message
    assert result.http_status == status and result.body is None
    assert result.retry_after_s is None  # only 429 and 503 carry it


@pytest.mark.parametrize(("status", "body"), [(200, b""), (204, b"")])
def test_empty_responses(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, status: int, body: bytes
) -> None:
    http_server.route("/feed", status=status, body=body)
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert result.status is FetchStatus.ERROR
    assert code(result) is FetchErrorCode.EMPTY
    assert result.error is not None and result.error.message == "empty response"


def test_redirect_chain_of_five_is_followed(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body=RSS)
    first = http_server.redirect_chain("/hop", 5, "/feed")
    result = fetch(fetch_settings, http_server.url(first))
    assert result.status is FetchStatus.OK and result.body == RSS
    assert result.url == http_server.url(first)
    assert result.final_url == http_server.url("/feed")
    assert result.permanent_redirect_to is None  # 302s
    assert len(http_server.requests) == 6


def test_redirect_chain_of_six_fails(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body=RSS)
    first = http_server.redirect_chain("/hop", 6, "/feed")
    result = fetch(fetch_settings, http_server.url(first))
    assert code(result) is FetchErrorCode.TOO_MANY_REDIRECTS
    assert result.error is not None
    assert result.error.message == "too many redirects (more than 5)"
    assert http_server.requests_to("/feed") == []


def test_redirect_loop(http_server: LoopbackHTTPServer, fetch_settings: FetchSettings) -> None:
    http_server.redirect("/a", "/b")
    http_server.redirect("/b", "/a")
    result = fetch(fetch_settings, http_server.url("/a"))
    assert code(result) is FetchErrorCode.TOO_MANY_REDIRECTS
    assert result.error is not None and result.error.message.startswith("too many redirects")
    assert len(http_server.requests) <= 6


@pytest.mark.parametrize(("statuses", "permanent"), [((301, 308), True), ((301, 302), False)])
def test_permanent_redirect_reported_only_when_every_hop_is_permanent(
    http_server: LoopbackHTTPServer,
    fetch_settings: FetchSettings,
    statuses: tuple[int, int],
    permanent: bool,
) -> None:
    http_server.redirect("/old", "/middle", statuses[0])
    http_server.redirect("/middle", http_server.url("/new"), statuses[1])
    http_server.route("/new", body=RSS)
    result = fetch(fetch_settings, http_server.url("/old"))
    assert result.status is FetchStatus.OK
    assert result.permanent_redirect_to == (http_server.url("/new") if permanent else None)


def test_redirect_without_location_is_an_http_error(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", status=302)
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert code(result) is FetchErrorCode.HTTP_STATUS
    assert result.error is not None and "without a Location" in result.error.message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused(fetch_settings: FetchSettings) -> None:
    result = fetch(fetch_settings, f"http://127.0.0.1:{free_port()}/feed")
    assert code(result) is FetchErrorCode.CONNECTION
    assert result.error is not None and "refused" in result.error.message


@pytest.mark.parametrize("answer", [None, []])
def test_name_that_does_not_resolve(fetch_settings: FetchSettings, answer: Any) -> None:
    resolver = FakeResolver({} if answer is None else {"gone.test": answer})
    result = fetch(fetch_settings, "http://gone.test/feed", resolver=resolver)
    assert code(result) is FetchErrorCode.DNS
    assert result.error is not None and "gone.test" in result.error.message


def test_environment_proxy_is_ignored(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, monkeypatch: Any
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    http_server.route("/feed", body=RSS)
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert result.status is FetchStatus.OK
    assert http_server.requests[0].path == "/feed"  # asked directly, not as a proxy


def test_configured_proxy_is_used(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    # The loopback server plays the proxy: it sees the absolute URL in the request line.
    http_server.route("http://feed.test/feed", body=RSS)
    settings = fetch_settings.model_copy(update={"proxy": SecretStr(http_server.url("/"))})
    nobody = FakeResolver({})  # names are resolved by the proxy, never here
    result = fetch(settings, "http://feed.test/feed", resolver=nobody)
    assert result.status is FetchStatus.OK and result.body == RSS
    assert http_server.requests[0].path == "http://feed.test/feed"
    assert nobody.calls == []


def test_credentials_never_appear_in_errors(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", status=500)
    http_server.redirect("/away", "ftp://user:s3cret@example.test/x")
    port = free_port()
    urls = [
        f"http://user:s3cret@127.0.0.1:{port}/feed",  # refused
        f"http://user:s3cret@127.0.0.1:{http_server.port}/feed",  # 500
        f"http://user:s3cret@127.0.0.1:{http_server.port}/away",  # unsupported scheme
        "http://user:s3cret@10.0.0.1/feed",  # blocked
        "http://user:s3cret@gone.test/feed",  # DNS
        "http://user:s3cret@127.0.0.1:99999/feed",  # invalid port
    ]
    for url in urls:
        result = fetch(fetch_settings, url, resolver=FakeResolver({}))
        assert result.error is not None, url
        assert "s3cret" not in result.error.message, result.error.message


def test_credentials_stay_on_their_origin(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    resolver = FakeResolver({"a.test": ["127.0.0.1"], "b.test": ["127.0.0.1"]})
    http_server.redirect("/start", "/next")
    http_server.redirect("/next", http_server.url("/elsewhere", host="b.test"))
    http_server.route("/elsewhere", body=RSS)
    url = http_server.url("/start", host="a.test").replace("://", "://me:pw@")
    result = fetch(fetch_settings, url, resolver=resolver)
    assert result.status is FetchStatus.OK
    start, same_origin, other_origin = http_server.requests
    assert start.header("authorization") == "Basic bWU6cHc="
    assert same_origin.header("authorization") == "Basic bWU6cHc="
    assert other_origin.header("authorization") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", FetchErrorCode.INVALID_URL),
        ("http://", FetchErrorCode.INVALID_URL),
        ("http://[::1", FetchErrorCode.INVALID_URL),
        ("http://exa mple.test/", FetchErrorCode.INVALID_URL),
        ("http://127.0.0.1:8888\\@example.test/", FetchErrorCode.INVALID_URL),
        ("http://a.test:99999/", FetchErrorCode.INVALID_URL),
        ("javascript:alert(1)", FetchErrorCode.UNSUPPORTED_SCHEME),
        ("feed.test/rss", FetchErrorCode.UNSUPPORTED_SCHEME),
        ("gopher://feed.test/", FetchErrorCode.UNSUPPORTED_SCHEME),
        ("http://0x7f.1/", FetchErrorCode.INVALID_URL),
        ("http://2130706433/", FetchErrorCode.INVALID_URL),
        ("http://017700000001/", FetchErrorCode.INVALID_URL),
        ("http://xn--zz.test/", FetchErrorCode.INVALID_URL),  # not valid punycode
    ],
)
def test_bad_urls_are_results_not_exceptions(
    fetch_settings: FetchSettings, url: str, expected: FetchErrorCode
) -> None:
    resolver = FakeResolver({})
    result = fetch(fetch_settings, url, resolver=resolver)
    assert result.status is FetchStatus.ERROR
    assert code(result) is expected
    assert resolver.calls == []
