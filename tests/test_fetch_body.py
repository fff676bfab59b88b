"""Fetcher bodies against a loopback server: encodings, size caps, truncation, deadlines, pages."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import pytest

from monitor.domain import FetchErrorCode, FetchStatus
from monitor.settings import FetchSettings
from tests.fixtures_http import LoopbackHTTPServer
from tests.test_fetch_http import RSS, code, fetch


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
    ],
)
def test_compressed_bodies_are_decoded(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, encoding: str, compress: Any
) -> None:
    http_server.route("/feed", body=compress(RSS * 50), content_encoding=encoding)
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert result.status is FetchStatus.OK
    assert result.body == RSS * 50


def test_multi_member_gzip_is_decoded(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route(
        "/feed", body=gzip.compress(b"<rss>") + gzip.compress(b"</rss>"), content_encoding="gzip"
    )
    assert fetch(fetch_settings, http_server.url("/feed")).body == b"<rss></rss>"


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("gzip, gzip", gzip.compress(gzip.compress(RSS)), "stacked content encodings refused"),
        ("br", b"\x0b\x02\x80hello\x03", "unsupported content encoding 'br'"),
        ("gzip", b"\x1f\x8b\x08\x00garbage-garbage", "corrupt compressed body"),
        ("gzip", gzip.compress(RSS)[:-12], "compressed body ends before its end marker"),
    ],
)
def test_bad_encodings(
    http_server: LoopbackHTTPServer,
    fetch_settings: FetchSettings,
    encoding: str,
    body: bytes,
    message: str,
) -> None:
    http_server.route("/feed", body=body, content_encoding=encoding)
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert code(result) is FetchErrorCode.BAD_ENCODING
    assert result.error is not None and result.error.message.startswith(message)
    assert result.body is None


def test_endless_body_is_cut_at_the_cap(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", endless=True)
    settings = fetch_settings.model_copy(update={"max_feed_size": 1024**2})
    result = fetch(settings, http_server.url("/feed"))
    assert code(result) is FetchErrorCode.TOO_LARGE
    assert result.error is not None and result.error.message == "response too large (> 1 MiB)"
    assert http_server.wait_idle()  # the connection was closed: the server stopped sending


def test_gzip_bomb_is_cut_at_the_decompressed_cap(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", gzip_bomb=True)
    settings = fetch_settings.model_copy(update={"max_feed_size": 1024**2})
    result = fetch(settings, http_server.url("/feed"))
    assert code(result) is FetchErrorCode.TOO_LARGE


def test_huge_content_length_is_refused_before_reading(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    # The body trickles for ever: reading any of it would end in TIMEOUT instead.
    http_server.route("/feed", content_length=20_000_000_000, endless=True, trickle=10)
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert code(result) is FetchErrorCode.TOO_LARGE
    assert result.error is not None and result.error.message == "response too large (> 15 MiB)"


def test_truncated_body_is_a_connection_error(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body=RSS, content_length=len(RSS) + 100)
    result = fetch(fetch_settings, http_server.url("/feed"))
    assert result.status is FetchStatus.ERROR
    assert code(result) is FetchErrorCode.CONNECTION
    assert result.body is None


@pytest.mark.parametrize("page", [False, True], ids=["feed", "page"])
def test_a_connection_reset_mid_body_is_a_connection_error(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings, page: bool
) -> None:
    """RELIABILITY 29: the server sends half of a declared body, then a TCP reset."""
    body = b"<html><body><p>" + b"words " * 20_000 + b"</p></body></html>"
    http_server.route("/x", body=body, content_type="text/html", reset_after=len(body) // 2)
    result = fetch(fetch_settings, http_server.url("/x"), page=page)
    assert result.status is FetchStatus.ERROR
    assert code(result) is FetchErrorCode.CONNECTION
    assert result.error is not None and "reset" in result.error.message
    assert result.body is None


def test_trickle_hits_the_total_deadline(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body=b"x" * 1000, trickle=20)  # 50 s at 20 bytes a second
    settings = fetch_settings.model_copy(update={"feed_deadline": 0.5})
    result = fetch(settings, http_server.url("/feed"))
    assert code(result) is FetchErrorCode.TIMEOUT
    assert result.error is not None and result.error.message == "timed out after 0.5 s"


def test_deadline_covers_redirects(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/a", status=302, location="/b", delay=0.3)
    http_server.route("/b", status=302, location="/c", delay=0.3)
    http_server.route("/c", body=RSS, delay=0.3)
    settings = fetch_settings.model_copy(update={"feed_deadline": 0.5})
    result = fetch(settings, http_server.url("/a"))
    assert code(result) is FetchErrorCode.TIMEOUT
    assert result.final_url == http_server.url("/b")


def test_slow_headers_hit_the_read_timeout(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body=RSS, delay=3)
    settings = fetch_settings.model_copy(update={"read_timeout": 0.3})
    result = fetch(settings, http_server.url("/feed"))
    assert code(result) is FetchErrorCode.TIMEOUT
    assert result.error is not None and result.error.message == "read timed out after 0.3 s"


def test_page_accepts_html_and_xhtml(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/a", body="<html>a</html>", content_type="text/html; charset=utf-8")
    http_server.route("/b", body="<html>b</html>", content_type="application/xhtml+xml")
    http_server.route("/c", body="\ufeff  <!DOCTYPE html><html>c</html>")  # no Content-Type
    for path in ("/a", "/b", "/c"):
        result = fetch(fetch_settings, http_server.url(path), page=True)
        assert result.status is FetchStatus.OK, path


def test_page_refuses_other_types_without_reading_the_body(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    # An endless trickling PDF: reading the body would end in TIMEOUT, not BAD_CONTENT_TYPE.
    http_server.route("/doc", content_type="application/pdf", endless=True, trickle=10)
    result = fetch(fetch_settings, http_server.url("/doc"), page=True)
    assert code(result) is FetchErrorCode.BAD_CONTENT_TYPE
    assert result.error is not None and result.error.message == "not an HTML page (application/pdf)"
    assert result.body is None


def test_page_without_content_type_that_is_not_html(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/blob", body=b"%PDF-1.7 binary")
    result = fetch(fetch_settings, http_server.url("/blob"), page=True)
    assert code(result) is FetchErrorCode.BAD_CONTENT_TYPE


def test_feed_has_no_content_type_restriction(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body=b"%PDF-1.7", content_type="application/pdf")
    assert fetch(fetch_settings, http_server.url("/feed")).status is FetchStatus.OK
