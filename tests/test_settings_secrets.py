"""Secrets never show: not in errors, warnings, reprs or `config show`; exposed files warn."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.config_loader import load_config, render_redacted
from monitor.config_loader.render import redact_credentials, redact_userinfo
from monitor.errors import ConfigError

DB_SECRET = "Sentinel-DB-Pa55"
PROXY_SECRET = "Sentinel-Proxy-77"
FEED_SECRET = "Sentinel-Feed-42"
SENTINELS = (DB_SECRET, PROXY_SECRET, FEED_SECRET)

SECRET_FILE = f"""
[database]
url = "postgresql+psycopg://monitor:{DB_SECRET}@db.internal:5432/monitor?sslmode=require"

[fetch]
proxy = "http://proxyuser:{PROXY_SECRET}@proxy.internal:3128"

[[feeds]]
name = "members only"
url = "https://reader:{FEED_SECRET}@news.example.org/feed.xml"
"""


def _write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def _assert_clean(text: str) -> None:
    for sentinel in SENTINELS:
        assert sentinel not in text


def test_render_redacted_hides_every_secret_but_keeps_the_rest(tmp_path: Path) -> None:
    settings = load_config(_write(tmp_path, SECRET_FILE), env={}, cwd=tmp_path).settings
    shown = render_redacted(settings)
    _assert_clean(shown)
    assert (
        'url = "postgresql+psycopg://monitor:<redacted>@db.internal:5432/monitor?sslmode=require"'
        in shown
    )
    assert 'proxy = "http://proxyuser:<redacted>@proxy.internal:3128"' in shown
    assert 'url = "https://<redacted>@news.example.org/feed.xml"' in shown


def test_reprs_of_settings_hide_secrets(tmp_path: Path) -> None:
    settings = load_config(_write(tmp_path, SECRET_FILE), env={}, cwd=tmp_path).settings
    _assert_clean(repr(settings))
    _assert_clean(str(settings))
    assert "news.example.org" in repr(settings.feeds[0])


@pytest.mark.parametrize(
    ("extra", "env"),
    [
        ("[parse]\ndeadline = 'later'\n", {}),
        ("[fetch]\nconnect_timeout = 'x'\n", {"MONITOR_DATABASE_URL": DB_SECRET}),
        (
            f"[[feeds]]\nurl = 'https://reader:{FEED_SECRET}@news.example.org/feed.xml'\n",
            {},
        ),
        (f"[[feeds]]\nurl = 'http://u:{FEED_SECRET}@127.0.0.1/'\n", {}),
        ("", {"MONITOR_FETCH_PROXY": PROXY_SECRET, "MONITOR_FETCH_PROXYY": PROXY_SECRET}),
    ],
    ids=["unrelated-error", "env-secret", "duplicate-feed-with-credentials", "private-feed", "env"],
)
def test_errors_never_carry_secrets(tmp_path: Path, extra: str, env: dict[str, str]) -> None:
    path = _write(tmp_path, SECRET_FILE.replace("[fetch]", extra + "\n[fetch]", 1))
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env, cwd=tmp_path)
    _assert_clean(str(caught.value))
    assert str(caught.value)


def test_a_secret_of_the_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    path = _write(tmp_path, f'[database]\nurl = ["{DB_SECRET}"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, cwd=tmp_path)
    assert str(caught.value) == "monitor.toml:2: database.url: expected a string"


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize(
    ("mode", "text", "expected"),
    [
        (0o644, SECRET_FILE, "readable by everyone (mode 0644)"),
        (0o640, SECRET_FILE, "readable by its group (mode 0640)"),
        (0o600, SECRET_FILE, None),
        (0o644, "[fetch]\nmax_redirects = 2\n", None),
    ],
)
def test_a_readable_file_with_inline_secrets_warns(
    tmp_path: Path, mode: int, text: str, expected: str | None
) -> None:
    loaded = load_config(_write(tmp_path, text, mode), env={}, cwd=tmp_path)
    if expected is None:
        assert loaded.warnings == ()
        return
    (warning,) = loaded.warnings
    assert warning.startswith(f"monitor.toml: {expected} and holds secrets inline")
    assert "database.url, fetch.proxy, feeds[0].url" in warning
    _assert_clean(warning)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_secrets_from_the_environment_do_not_warn(tmp_path: Path) -> None:
    path = _write(tmp_path, "[fetch]\nmax_redirects = 2\n", 0o644)
    loaded = load_config(
        path, env={"MONITOR_DATABASE_URL": f"postgresql://m:{DB_SECRET}@h/m"}, cwd=tmp_path
    )
    assert loaded.warnings == ()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql://u:<redacted>@h/db"),
        ("http://token@proxy:3128", "http://<redacted>@proxy:3128"),
        ("sqlite:////var/lib/monitor.db", "sqlite:////var/lib/monitor.db"),
        ("postgresql://h/db?user=u&password=p", "postgresql://h/db?user=u&password=<redacted>"),
        ("http://[::1", "<redacted>"),
    ],
)
def test_redact_credentials(url: str, expected: str) -> None:
    assert redact_credentials(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a:b@example.org/f", "https://<redacted>@example.org/f"),
        ("https://example.org/f?x=1", "https://example.org/f?x=1"),
    ],
)
def test_redact_userinfo(url: str, expected: str) -> None:
    assert redact_userinfo(url) == expected
