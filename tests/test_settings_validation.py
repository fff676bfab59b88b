"""Settings-level checks (feed addresses) and the TOML rendering of effective settings."""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.config_loader import load_config, render_redacted
from monitor.config_loader.render import format_duration, format_size
from monitor.settings import FeedSettings, FetchSettings, Settings, literal_address_problem

NETS = [ipaddress.ip_network("10.1.2.0/24"), ipaddress.ip_network("::1/128")]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.org/feed", None),
        ("https://93.184.215.14/feed", None),
        ("http://[2606:4700::1111]/", None),
        ("http://10.1.2.9/", None),  # listed in NETS
        ("http://[::1]/", None),  # listed in NETS
        ("http://10.1.3.9/", "10.1.3.9 is a private address, not a public one"),
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address, not a public one"),
        ("http://LOCALHOST./x", None),  # ::1 is listed
        ("http://app.localhost/x", None),
        ("http://[fe80::1%25eth0]/", "is a link-local address, not a public one"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address, not a public one"),
        ("http://100.64.0.1/", "100.64.0.1 is a reserved address, not a public one"),
        ("http://[::ffff:10.1.2.9]/", None),  # mapped form of an allowed address
    ],
)
def test_literal_address_problem(url: str, problem: str | None) -> None:
    if "localhost" in url.lower():
        message = literal_address_problem(url, NETS[:1])
        assert message is not None and "is a loopback address, not a public one" in message
    found = literal_address_problem(url, NETS)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_the_address_check_runs_on_settings_built_in_code() -> None:
    with pytest.raises(ValidationError, match="is a loopback address"):
        Settings(feeds=(FeedSettings(url="http://127.0.0.1:9/feed"),))
    allowed = Settings(
        fetch=FetchSettings(allow_private=("127.0.0.0/8",)),
        feeds=(FeedSettings(url="http://127.0.0.1:9/feed"),),
    )
    assert allowed.feeds[0].url == "http://127.0.0.1:9/feed"


def test_feed_urls_are_checked_field_by_field() -> None:
    with pytest.raises(ValidationError, match="unsupported scheme 'file'"):
        FeedSettings(url="file:///etc/passwd")
    assert FeedSettings(url="  https://example.org/f  ").url == "https://example.org/f"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1800.0, "30m"),
        (86400.0, "1d"),
        (90.0, "90s"),
        (7200.0, "2h"),
        (0.25, "250ms"),
        (1.5, "1500ms"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(15 * 1024**2, "15 MiB"), (1024**3, "1 GiB"), (3072, "3 KiB"), (1000, "1000 B")],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text


def test_rendered_settings_load_back_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "in.toml"
    source.write_text(
        "[fetch]\nuser_agent = 'me/1'\nread_timeout = 0.25\nper_host_spacing = '1.5s'\n"
        "max_feed_size = 1000\nallow_private = ['10.0.0.0/8']\n"
        "[[feeds]]\nurl = 'https://example.org/f'\ninterval = '45m'\n"
        "[[entities]]\nid = 'e'\nname = 'Quote \"and\" backslash \\\\'\naliases = ['É', 'a\\tb']\n"
        "[[claims]]\nid = 'c'\ntext = 't'\nentities = ['e']\nopened = 2024-10-24\n",
        encoding="utf-8",
    )
    settings = load_config(source, env={}, cwd=tmp_path).settings
    shown = render_redacted(settings)
    assert 'read_timeout = "250ms"' in shown
    assert 'interval = "45m"' in shown
    assert "# proxy is not set" in shown
    tomllib.loads(shown)
    again = tmp_path / "again.toml"
    again.write_text(shown, encoding="utf-8")
    assert load_config(again, env={}, cwd=tmp_path).settings == settings
