"""Table tests for the fetcher's pure parts: header parsers and the address policy."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.fetch import default_user_agent, parse_retry_after
from monitor.fetch.addresses import AddressPolicy, is_public
from monitor.fetch.headers import (
    GZIP_WBITS,
    ZLIB_WBITS,
    EncodingRefused,
    content_encoding_wbits,
    format_seconds,
    format_size,
    parse_content_type,
    parse_max_age,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 3600 ", 3600.0),
        ("1.5", 1.5),
        ("Wed, 01 May 2024 12:02:00 GMT", 120.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),  # in the past: go now
        ("Wednesday, 01-May-24 12:00:30 GMT", 30.0),  # RFC 850 form
        ("Wed May  1 12:01:00 2024", 60.0),  # asctime form, taken as UTC
        ("-5", None),
        ("", None),
        ("soon", None),
        ("1e9", None),
        ("Wed, 99 Foo 2024 12:00:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_with_naive_and_other_zone_now() -> None:
    value = "Wed, 01 May 2024 12:02:00 GMT"
    assert parse_retry_after(value, NOW.replace(tzinfo=None)) == 120.0
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    assert parse_retry_after(value, plus_two) == 120.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=300", 300.0),
        ("public, max-age=60, must-revalidate", 60.0),
        ('max-age="90"', 90.0),
        ("MAX-AGE=5", 5.0),
        ("s-maxage=100", None),
        ("no-cache", 0.0),
        ("no-store, private", 0.0),
        ("private", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_max_age(value: str | None, expected: float | None) -> None:
    assert parse_max_age(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/html; charset=UTF-8", ("text/html", "UTF-8")),
        ("Application/RSS+XML", ("application/rss+xml", None)),
        ('text/xml; charset="iso-8859-1"', ("text/xml", "iso-8859-1")),
        ("text/html; foo=bar; charset=utf-8", ("text/html", "utf-8")),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_content_type(value: str | None, expected: tuple[str | None, str | None]) -> None:
    assert parse_content_type(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("identity", None),
        ("gzip", GZIP_WBITS),
        ("X-GZIP", GZIP_WBITS),
        ("deflate", ZLIB_WBITS),
        ("gzip, identity", GZIP_WBITS),
    ],
)
def test_content_encoding_accepted(value: str | None, expected: int | None) -> None:
    assert content_encoding_wbits(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("gzip, gzip", "stacked content encodings refused (gzip, gzip)"),
        ("deflate,gzip", "stacked content encodings refused (deflate, gzip)"),
        ("br", "unsupported content encoding 'br'"),
        ("zstd", "unsupported content encoding 'zstd'"),
    ],
)
def test_content_encoding_refused(value: str, message: str) -> None:
    with pytest.raises(EncodingRefused) as info:
        content_encoding_wbits(value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("size", "text"),
    [(15 * 1024**2, "15 MiB"), (5 * 1024**2, "5 MiB"), (1536, "1.5 KiB"), (1000, "1000 bytes")],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(("seconds", "text"), [(30.0, "30 s"), (0.5, "0.5 s"), (2.25, "2.25 s")])
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_default_user_agent_is_honest() -> None:
    import monitor

    assert default_user_agent() == (
        f"monitor/{monitor.__version__} (+https://github.com/monitor-news/monitor)"
    )


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.0.0.2", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1", "240.0.0.1", "198.18.0.1",
        "::1", "::", "fd00::1", "fc00::1", "fe80::1", "ff02::1", "::ffff:10.0.0.1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:a00:1::1",
        "2001:db8::1", "fe80::1%eth0", "not an address", "",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not AddressPolicy().allows(address)


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert AddressPolicy().allows(address)
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("allow", "address", "allowed"),
    [
        (("127.0.0.1/32",), "127.0.0.1", True),
        (("127.0.0.1/32",), "127.0.0.2", False),
        (("127.0.0.1/32",), "::ffff:127.0.0.1", True),
        (("10.1.2.0/24",), "10.1.2.200", True),
        (("10.1.2.0/24",), "10.1.3.1", False),
        (("fd00::/8",), "fd00::5", True),
        (("fd00::/8",), "10.0.0.1", False),
    ],
)
def test_allow_private_networks(allow: tuple[str, ...], address: str, allowed: bool) -> None:
    assert AddressPolicy(allow).allows(address) is allowed
