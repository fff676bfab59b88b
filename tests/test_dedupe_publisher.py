"""publisher_of: one name per independent source."""

from __future__ import annotations

import pytest

from monitor.dedupe import publisher_of


@pytest.mark.parametrize(
    ("url", "site_name", "publisher"),
    [
        ("https://www.bbc.co.uk/news/world-123", None, "bbc.co.uk"),
        ("https://news.bbc.co.uk/2/hi/1.stm", None, "bbc.co.uk"),
        ("https://m.bbc.co.uk/news", None, "bbc.co.uk"),
        ("https://WWW.BBC.COM/news", None, "bbc.com"),
        ("https://edition.cnn.com/2019/11/19/x", None, "cnn.com"),
        ("https://amp.theguardian.com/world/x", None, "theguardian.com"),
        ("https://feeds.reuters.com/reuters/topNews", None, "reuters.com"),
        ("https://www.reuters.com./article/x", None, "reuters.com"),
        ("https://hosted.ap.org/article/x", None, "ap.org"),
        ("https://www.abc.net.au/news/x", None, "abc.net.au"),
        ("https://www1.folha.uol.com.br/poder/x", None, "uol.com.br"),
        ("https://www.asahi.co.jp/x", None, "asahi.co.jp"),
        ("https://example.com:8443/x", None, "example.com"),
        ("https://user:pw@www.example.org/x", None, "example.org"),
        ("https://alice.substack.com/p/x", None, "alice.substack.com"),
        ("https://bob.substack.com/p/x", None, "bob.substack.com"),
        ("https://www.substack.com/", None, "substack.com"),
        ("https://someone.github.io/blog", None, "someone.github.io"),
        ("http://192.0.2.10/feed", None, "192.0.2.10"),
        ("http://[2001:db8::1]/feed", None, "2001:db8::1"),
        ("http://localhost:8000/x", None, "localhost"),
        ("http://feedproxy.google.com/~r/RPS/~3/x/y", "Rock Paper  Shotgun", "rock paper shotgun"),
        ("http://feedproxy.google.com/~r/RPS/~3/x/y", None, "google.com"),
        ("", "The  Guardian", "the guardian"),
        ("not a url", " Reuters ", "reuters"),
        ("https://[::1", "Broken", "broken"),
        ("", None, ""),
    ],
)
def test_publisher_of(url: str, site_name: str | None, publisher: str) -> None:
    assert publisher_of(url, site_name) == publisher


def test_site_name_does_not_override_a_real_host() -> None:
    assert publisher_of("https://www.rt.com/news/x", "Reuters") == "rt.com"
