"""MONITOR_<SECTION>_<KEY> environment overrides and their *_FILE variants."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from monitor.config_loader import load_config
from monitor.config_loader.environment import setting_variables
from monitor.errors import ConfigError
from monitor.stance.kernels import KERNEL_ENV


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text("[fetch]\nmax_redirects = 3\nread_timeout = '10s'\n", encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    ("env", "check"),
    [
        ({"MONITOR_FETCH_MAX_REDIRECTS": "7"}, lambda s: s.fetch.max_redirects == 7),
        ({"MONITOR_FETCH_READ_TIMEOUT": "2m"}, lambda s: s.fetch.read_timeout == 120.0),
        ({"MONITOR_FETCH_MAX_FEED_SIZE": "1 MiB"}, lambda s: s.fetch.max_feed_size == 1024**2),
        ({"MONITOR_POLLING_INTERVAL": "15m"}, lambda s: s.polling.interval == 900.0),
        ({"MONITOR_FETCH_USER_AGENT": "me/1.0"}, lambda s: s.fetch.user_agent == "me/1.0"),
        (
            {"MONITOR_FETCH_ALLOW_PRIVATE": "10.0.0.0/8, 192.168.1.0/24"},
            lambda s: s.fetch.allow_private == ("10.0.0.0/8", "192.168.1.0/24"),
        ),
        ({"MONITOR_FETCH_MAX_REDIRECTS": ""}, lambda s: s.fetch.max_redirects == 3),
        (
            {"MONITOR_DATABASE_URL": "sqlite:///x.db"},
            lambda s: s.database.url.get_secret_value() == "sqlite:///x.db",
        ),
        ({"HOME": "/root", "MONITOR_DATA_DIR": "/srv"}, lambda s: s.fetch.max_redirects == 3),
    ],
)
def test_environment_overrides_win_over_the_file(config: Path, env: dict, check: object) -> None:
    settings = load_config(config, env=env, cwd=config.parent).settings
    assert check(settings)  # type: ignore[operator]


def test_loaded_config_lists_the_variables_used(config: Path) -> None:
    env = {"MONITOR_FETCH_MAX_REDIRECTS": "7", "MONITOR_DATA_DIR": "/srv", "MONITOR_CONFIG": ""}
    assert load_config(config, env=env, cwd=config.parent).overrides == (
        "MONITOR_FETCH_MAX_REDIRECTS",
    )


def test_every_table_setting_has_a_variable() -> None:
    names = setting_variables()
    assert "MONITOR_DATABASE_URL" in names
    assert "MONITOR_FETCH_PROXY" in names
    assert "MONITOR_EXTRACT_WORKERS" in names
    assert not any(name.startswith(("MONITOR_FEEDS", "MONITOR_CLAIMS")) for name in names)


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        (
            "MONITOR_FETCH_MAX_REDIRECT",
            "MONITOR_FETCH_MAX_REDIRECT: no such setting "
            "(did you mean MONITOR_FETCH_MAX_REDIRECTS?)",
        ),
        (
            "MONITOR_DATABASE_URL_FIEL",
            "MONITOR_DATABASE_URL_FIEL: no such setting (did you mean MONITOR_DATABASE_URL_FILE?)",
        ),
        (
            "MONITOR_WEBHOOK",
            "MONITOR_WEBHOOK: no such setting (variables are MONITOR_<SECTION>_<KEY>, "
            "e.g. MONITOR_FETCH_PROXY)",
        ),
    ],
)
def test_a_variable_that_names_no_setting_is_an_error(
    config: Path, variable: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config, env={variable: "1"}, cwd=config.parent)
    assert str(caught.value) == expected


def test_the_stance_kernel_variable_is_not_read_as_a_setting(config: Path) -> None:
    assert KERNEL_ENV == "MONITOR_STANCE_KERNEL"
    env = {KERNEL_ENV: "portable", "MONITOR_FETCH_MAX_REDIRECTS": "7"}
    loaded = load_config(config, env=env, cwd=config.parent)
    assert loaded.overrides == ("MONITOR_FETCH_MAX_REDIRECTS",)


def test_test_harness_variables_are_left_alone(config: Path) -> None:
    env = {"MONITOR_TEST_POSTGRES_URL": "postgresql://x"}
    assert load_config(config, env=env, cwd=config.parent).overrides == ()


def test_a_bad_value_from_the_environment_names_the_variable(config: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config, env={"MONITOR_FETCH_MAX_REDIRECTS": "many"}, cwd=config.parent)
    assert str(caught.value) == (
        "MONITOR_FETCH_MAX_REDIRECTS: fetch.max_redirects: expected an integer (got 'many')"
    )


def test_a_file_variant_reads_the_secret_without_its_trailing_newline(
    config: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "db_url"
    secret.write_text("postgresql+psycopg://monitor:s3cret-FILE@db/monitor\n", encoding="utf-8")
    env = {"MONITOR_DATABASE_URL_FILE": str(secret), "MONITOR_FETCH_PROXY_FILE": str(secret)}
    loaded = load_config(config, env=env, cwd=config.parent)
    assert loaded.settings.database.url == SecretStr(
        "postgresql+psycopg://monitor:s3cret-FILE@db/monitor"
    )
    assert loaded.settings.fetch.proxy is not None
    assert loaded.overrides == ("MONITOR_DATABASE_URL_FILE", "MONITOR_FETCH_PROXY_FILE")


def test_a_missing_secret_file_is_an_error(config: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError) as caught:
        load_config(config, env={"MONITOR_DATABASE_URL_FILE": str(missing)}, cwd=config.parent)
    assert (
        str(caught.value)
        == f"MONITOR_DATABASE_URL_FILE: cannot read {missing}: No such file or directory"
    )


def test_a_value_and_its_file_variant_together_are_an_error(config: Path, tmp_path: Path) -> None:
    secret = tmp_path / "db_url"
    secret.write_text("sqlite:///a.db", encoding="utf-8")
    env = {"MONITOR_DATABASE_URL": "sqlite:///b.db", "MONITOR_DATABASE_URL_FILE": str(secret)}
    with pytest.raises(
        ConfigError, match="set either MONITOR_DATABASE_URL or MONITOR_DATABASE_URL_FILE"
    ):
        load_config(config, env=env, cwd=config.parent)


def test_environment_and_file_problems_are_reported_together(config: Path) -> None:
    config.write_text("[fetch]\nmax_redirect = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(config, env={"MONITOR_PARSE_DEADLIN": "1s"}, cwd=config.parent)
    lines = str(caught.value).splitlines()
    assert lines == [
        "MONITOR_PARSE_DEADLIN: no such setting (did you mean MONITOR_PARSE_DEADLINE?)",
        "monitor.toml:2: fetch.max_redirect: unknown key (did you mean 'max_redirects'?)",
    ]
