"""TLS through the address guard: certificates are verified against the host name, never skipped.

The guard connects to a checked IP address; these tests prove httpcore still sends the host
name as SNI and verifies the certificate against it. Certificates come from the openssl CLI.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from monitor.domain import FetchErrorCode, FetchResult, FetchStatus
from monitor.fetch import Fetcher, default_user_agent
from monitor.settings import FetchSettings
from tests.fixtures_http import FakeResolver, LoopbackHTTPServer

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA and a certificate for feed.test that it signed."""
    where = tmp_path_factory.mktemp("tls")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=monitor test CA", cwd=where)  # fmt: skip
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=feed.test",
            cwd=where)  # fmt: skip
    (where / "san.ext").write_text("subjectAltName=DNS:feed.test\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "san.ext",
            cwd=where)  # fmt: skip
    return where


@pytest.fixture
def tls_server(certificates: Path) -> Iterator[LoopbackHTTPServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates / "leaf.pem", certificates / "leaf.key")
    server = LoopbackHTTPServer(tls=context).start()
    server.route("/feed", body="<rss/>", content_type="application/rss+xml")
    try:
        yield server
    finally:
        server.stop()


def fetch(settings: FetchSettings, url: str, context: ssl.SSLContext | None) -> FetchResult:
    resolver = FakeResolver({"feed.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})

    async def go() -> FetchResult:
        async with Fetcher(
            settings, user_agent=default_user_agent(), resolver=resolver, ssl_context=context
        ) as fetcher:
            return await fetcher.fetch_feed(url)

    return asyncio.run(go())


def trusting(certificates: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificates / "ca.pem"))


def test_certificate_is_verified_against_the_host_name(
    tls_server: LoopbackHTTPServer, fetch_settings: FetchSettings, certificates: Path
) -> None:
    url = tls_server.url("/feed", host="feed.test")
    result = fetch(fetch_settings, url, trusting(certificates))
    assert result.status is FetchStatus.OK and result.body == b"<rss/>"
    assert tls_server.server_names == ["feed.test"]  # SNI is the name, not the IP we dialled


def test_certificate_for_another_name_is_refused(
    tls_server: LoopbackHTTPServer, fetch_settings: FetchSettings, certificates: Path
) -> None:
    url = tls_server.url("/feed", host="other.test")
    result = fetch(fetch_settings, url, trusting(certificates))
    assert result.error is not None
    assert result.error.code is FetchErrorCode.TLS
    assert "other.test" in result.error.message, result.error.message
    assert tls_server.requests == []


def test_untrusted_certificate_is_refused_not_downgraded(
    tls_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    result = fetch(fetch_settings, tls_server.url("/feed", host="feed.test"), None)
    assert result.error is not None
    assert result.error.code is FetchErrorCode.TLS
    assert tls_server.requests == []  # nothing was sent over an unverified connection


def test_expired_certificate_is_refused(fetch_settings: FetchSettings) -> None:
    """RELIABILITY 28: a certificate from a trusted CA whose validity ended yesterday."""
    authority = trustme.CA()
    now = datetime.now(UTC)
    leaf = authority.issue_cert(
        "feed.test", not_before=now - timedelta(days=10), not_after=now - timedelta(days=1)
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(server_context)
    server = LoopbackHTTPServer(tls=server_context).start()
    server.route("/feed", body="<rss/>", content_type="application/rss+xml")
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    try:
        result = fetch(fetch_settings, server.url("/feed", host="feed.test"), client_context)
    finally:
        server.stop()
    assert result.error is not None and result.error.code is FetchErrorCode.TLS
    assert "expired" in result.error.message, result.error.message
    assert server.requests == []


def test_plain_http_server_on_https_url_is_a_tls_error(
    http_server: LoopbackHTTPServer, fetch_settings: FetchSettings
) -> None:
    http_server.route("/feed", body="<rss/>")
    url = http_server.url("/feed").replace("http://", "https://")
    result = fetch(fetch_settings, url, None)
    assert result.error is not None and result.error.code is FetchErrorCode.TLS
