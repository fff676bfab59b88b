"""URL checks and canonical forms (pure)."""

import pytest

from monitor.urls import UnsafeURLError, canonical_url, check_url, host_of, redact_url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "unsupported scheme 'file'"),
        ("javascript:alert(1)", "unsupported scheme 'javascript'"),
        ("ftp://example.com/x", "unsupported scheme 'ftp'"),
        ("gopher://example.com/", "unsupported scheme"),
        ("http://127.0.0.1:8888\\@example.com/", "backslash"),
        ("http://exa mple.com/", "whitespace"),
        ("http://example.com/\x00", "control"),
        ("http:///nohost", "no host"),
        ("http://0x7f.1/", "non-standard form"),
        ("http://2130706433/", "non-standard form"),
        ("http://017700000001/", "non-standard form"),
        ("http://example.com:99999/", "not a valid URL"),
        ("", "empty"),
    ],
)
def test_check_url_rejects(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError, match=reason):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/feed",
        "http://127.0.0.1:8080/x",
        "https://[2001:db8::1]/a",
        " https://a.b/ ",
    ],
)
def test_check_url_accepts(url: str) -> None:
    assert check_url(url) == url.strip()


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTPS://WWW.Example.COM:443/a/b?utm_source=rss&id=3#frag",
            "https://www.example.com/a/b?id=3",
        ),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x?fbclid=1&gclid=2", "http://example.com:8080/x"),
        ("https://example.com/caf%C3%A9?b=2&a=1", "https://example.com/caf%C3%A9?b=2&a=1"),
        ("https://example.com/a%7Eb", "https://example.com/a~b"),
        ("https://user:pw@example.com/x", "https://example.com/x"),
        ("https://example.com/x?utm_medium=a&utm_campaign=b", "https://example.com/x"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_redact_url_hides_credentials_only() -> None:
    assert redact_url("https://user:secret@host.example:8443/f?x=1") == (
        "https://***@host.example:8443/f?x=1"
    )
    assert redact_url("https://host.example/f") == "https://host.example/f"
    assert host_of("https://Host.Example/x") == "host.example"
