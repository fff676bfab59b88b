"""Bad config files are refused with `file:line: key: problem` lines, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config_loader import load_config
from monitor.errors import ConfigError

FEED = '[[feeds]]\nurl = "https://example.org/feed.xml"\n'


def _error(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "monitor.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={}, cwd=tmp_path)
    return str(caught.value)


def test_a_typo_names_file_line_key_and_the_likely_key(tmp_path: Path) -> None:
    text = "[fetch]\n# timeouts\nconnect_timeout = '5s'\nmax_redirect = 3\n"
    assert _error(tmp_path, text) == (
        "monitor.toml:4: fetch.max_redirect: unknown key (did you mean 'max_redirects'?)"
    )


def test_an_unknown_key_with_no_close_match_lists_the_valid_ones(tmp_path: Path) -> None:
    message = _error(tmp_path, "[polling]\nsmtp_hots = 'mail'\n")
    assert message == (
        "monitor.toml:2: polling.smtp_hots: unknown key "
        "(expected one of: interval, max_backoff, adaptive, min_interval, max_interval)"
    )


def test_an_unknown_section_suggests_the_real_one(tmp_path: Path) -> None:
    assert _error(tmp_path, "[fetc]\nmax_redirects = 3\n") == (
        "monitor.toml:1: fetc: unknown key (did you mean 'fetch'?)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[fetch]\nconnect_timeout = 'soon'\n",
            "monitor.toml:2: fetch.connect_timeout: expected a duration such as '30s', '15m' "
            "or '2h'",
        ),
        (
            "[fetch]\nmax_feed_size = 'huge'\n",
            "monitor.toml:2: fetch.max_feed_size: expected a size such as '15 MiB' or a number of "
            "bytes",
        ),
        (
            "[fetch]\nmax_redirects = 'five'\n",
            "monitor.toml:2: fetch.max_redirects: expected an integer (got 'five')",
        ),
        (
            "[fetch]\nmax_redirects = 99\n",
            "monitor.toml:2: fetch.max_redirects: must be less than or equal to 20",
        ),
        (
            "[fetch]\nuser_agent = 5\n",
            "monitor.toml:2: fetch.user_agent: expected a string (got 5)",
        ),
        ("fetch = 3\n", "monitor.toml:1: fetch: expected a table (got 3)"),
        (
            "[fetch]\nallow_private = ['not-a-net']\n",
            "monitor.toml:2: fetch.allow_private: 'not-a-net' is not a network in CIDR form "
            "('not-a-net' does not appear to be an IPv4 or IPv6 network)",
        ),
        (
            '[[entities]]\nid = "a"\nname = "A"\nkind = "animal"\n',
            "monitor.toml:4: entities[0].kind: expected one of "
            "'person', 'organization', 'place', 'product' or 'other'",
        ),
        (
            '[[entities]]\nid = "has space"\nname = "A"\n',
            "monitor.toml:2: entities[0].id: expected an id of letters, digits, '_', '.' or '-' "
            "(at most 64, starting with a letter or digit)",
        ),
        (
            '[[entities]]\nid = "a"\nname = "A"\n[[claims]]\nid = "c"\ntext = "t"\n'
            'entities = ["a"]\nopened = "last week"\n',
            "monitor.toml:8: claims[0].opened: expected a date such as 2024-10-24 "
            "(got 'last week')",
        ),
    ],
)
def test_wrong_types_say_what_was_expected(tmp_path: Path, text: str, expected: str) -> None:
    assert _error(tmp_path, text) == expected


def test_a_missing_required_key_names_the_array_element(tmp_path: Path) -> None:
    text = FEED + '\n[[feeds]]\nname = "no url here"\n' + FEED.replace("feed.xml", "b.xml")
    assert _error(tmp_path, text) == "monitor.toml:4: feeds[1].url: missing required key"


def test_several_problems_are_listed_one_per_line(tmp_path: Path) -> None:
    text = "[fetch]\nmax_redirects = -1\nread_timeout = 'x'\n[polling]\nintervall = '1h'\n"
    assert _error(tmp_path, text).splitlines() == [
        "monitor.toml:3: fetch.read_timeout: expected a duration such as '30s', '15m' or '2h'",
        "monitor.toml:2: fetch.max_redirects: must be greater than or equal to 0",
        "monitor.toml:5: polling.intervall: unknown key (did you mean 'interval'?)",
    ]


ENTITIES = '[[entities]]\nid = "elon-musk"\nname = "Elon Musk"\n'
CLAIM = '[[claims]]\nid = "musk-putin"\ntext = "t"\nentities = ["elon-musk"]\n'
WEBHOOK_SECRET = 'secret = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[claims]]\nid = "c"\ntext = "t"\nentities = ["ghost"]\n',
            "monitor.toml:4: claims[0].entities: unknown entity 'ghost'",
        ),
        (
            ENTITIES + '[[claims]]\nid = "c"\ntext = "t"\nentities = ["elon-musks"]\n',
            "monitor.toml:7: claims[0].entities: unknown entity 'elon-musks' "
            "(did you mean 'elon-musk'?)",
        ),
        (
            ENTITIES + CLAIM + '[[claims]]\nid = "d"\ntext = "t"\nentities = ["elon-musk"]\n'
            'denies = ["musk-putn"]\n',
            "monitor.toml:12: claims[1].denies: unknown claim 'musk-putn' "
            "(did you mean 'musk-putin'?)",
        ),
        (
            ENTITIES + CLAIM + '[[channels]]\nid = "desk"\ntype = "webhook"\n'
            'url = "https://hooks.example.org/x"\n'
            + WEBHOOK_SECRET
            + 'claims = ["musk-putin-contact"]\n',
            "monitor.toml:13: channels[0].claims: unknown claim 'musk-putin-contact' "
            "(did you mean 'musk-putin'?)",
        ),
    ],
)
def test_a_reference_to_an_unknown_id_points_at_it(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert _error(tmp_path, text) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('type = "email"\n', "an email channel needs `to` (one or more addresses)"),
        (
            'type = "email"\nto = ["desk@example.org"]\nurl = "https://x.example.org/"\n',
            "an email channel takes no url or secret",
        ),
        ('type = "webhook"\n' + WEBHOOK_SECRET, "a webhook channel needs `url`"),
        (
            'type = "webhook"\nurl = "https://x.example.org/"\nto = ["desk@example.org"]\n'
            + WEBHOOK_SECRET,
            "a webhook channel takes no `to`",
        ),
        (
            'type = "webhook"\nurl = "https://x.example.org/"\n',
            "a webhook channel needs `secret` (whsec_ + base64)",
        ),
        (
            'type = "webhook"\nurl = "https://x.example.org/"\nsecret = "whsec_c2hvcnQ="\n',
            "the webhook secret must hold at least 24 random bytes",
        ),
        ('type = "apprise"\n', "an apprise channel needs `url`"),
        (
            'type = "apprise"\nurl = "mailto://x.example.org"\n' + WEBHOOK_SECRET,
            "an apprise channel takes no `secret`",
        ),
        (
            'type = "apprise"\nurl = "mailto://x.example.org"\nurl_file = "url.txt"\n',
            "set either url or url_file, not both",
        ),
    ],
)
def test_a_channel_is_checked_against_what_its_type_takes(
    tmp_path: Path, body: str, expected: str
) -> None:
    message = _error(tmp_path, '[[channels]]\nid = "desk"\n' + body)
    assert message == f"monitor.toml:1: channels[0]: {expected}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ENTITIES + CLAIM + CLAIM,
            "monitor.toml:9: claims[1].id: claim id 'musk-putin' is already used by claims[0]",
        ),
        (
            ENTITIES + ENTITIES,
            "monitor.toml:5: entities[1].id: entity id 'elon-musk' is already used by entities[0]",
        ),
        (
            (FEED + FEED).replace("https://", "https://reader:hunter2@"),
            "monitor.toml:4: feeds[1].url: feed 'https://<redacted>@example.org/feed.xml' is "
            "already used by feeds[0]",
        ),
    ],
)
def test_a_repeated_id_points_at_the_second_one(tmp_path: Path, text: str, expected: str) -> None:
    assert _error(tmp_path, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[fetch]\nmax_redirects = \n", "monitor.toml:2:17: invalid TOML: Invalid value"),
        (
            "[fetch]\nmax_redirects = 1\nmax_redirects = 2\n",
            "monitor.toml:3:18: invalid TOML: Cannot overwrite a value",
        ),
        (
            "[fetch\n",
            "monitor.toml:1:7: invalid TOML: Expected ']' at the end of a table declaration",
        ),
        ('name = "unterminated', "monitor.toml:1: invalid TOML: Unterminated string"),
    ],
)
def test_toml_syntax_errors_give_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    assert _error(tmp_path, text) == expected


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    assert _error(tmp_path, b"[fetch]\nuser_agent = '\xff'\n") == "monitor.toml:2: not UTF-8 text"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "unsupported scheme 'file' (only http and https are fetched)"),
        (
            "javascript:alert(1)",
            "unsupported scheme 'javascript' (only http and https are fetched)",
        ),
        ("http://[::1]/feed", "::1 is a loopback address, not a public one"),
        ("http://127.0.0.1:8080/", "127.0.0.1 is a loopback address, not a public one"),
        ("http://localhost/feed", "localhost is a loopback address, not a public one"),
        ("http://10.0.0.7/rss", "10.0.0.7 is a private address, not a public one"),
        ("http://169.254.169.254/latest/", "169.254.169.254 is a link-local address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        (
            "http://127.0.0.1:8888\\@example.com/",
            "URL contains a backslash, whitespace or a control character",
        ),
        ("http://0x7f.1/", "host '0x7f.1' is a numeric address in a non-standard form"),
        ("https:///nohost", "URL has no host"),
    ],
)
def test_unsafe_feed_urls_are_refused_with_the_reason(
    tmp_path: Path, url: str, reason: str
) -> None:
    text = FEED + f"\n[[feeds]]\nurl = '{url}'\n"
    message = _error(tmp_path, text)
    assert message.startswith("monitor.toml:5: feeds[1].url: "), message
    assert reason in message


def test_allow_private_lets_a_listed_network_through(tmp_path: Path) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text(
        "[fetch]\nallow_private = ['127.0.0.0/8', '::1/128', '10.1.2.0/24']\n"
        "[[feeds]]\nurl = 'http://127.0.0.1:8080/feed'\n"
        "[[feeds]]\nurl = 'http://[::1]/feed'\n"
        "[[feeds]]\nurl = 'http://10.1.2.3/feed'\n"
        "[[feeds]]\nurl = 'http://localhost/feed'\n",
        encoding="utf-8",
    )
    settings = load_config(path, env={}, cwd=tmp_path).settings
    assert len(settings.feeds) == 4
    path.write_text(
        "[fetch]\nallow_private = ['10.1.2.0/24']\n[[feeds]]\nurl = 'http://10.1.3.1/'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"monitor.toml:4: feeds\[0\].url: 10.1.3.1 is a private"):
        load_config(path, env={}, cwd=tmp_path)


def test_an_unreadable_path_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(ConfigError, match=r"dir.toml: not a file \(named by --config\)"):
        load_config(tmp_path / "dir.toml", env={}, cwd=tmp_path)
