"""Which config file is used: --config, $MONITOR_CONFIG, ./config, the user's, the bundled one."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config_loader import data_dir, find_config, load_config
from monitor.errors import ConfigError

# Which candidate files exist -> the source that wins.
CASES = [
    ({"option", "env", "cwd", "user"}, "option"),
    ({"env", "cwd", "user"}, "env"),
    ({"cwd", "user"}, "cwd"),
    ({"user"}, "user"),
    (set(), "bundled"),
    ({"option", "user"}, "option"),
    ({"env", "user"}, "env"),
]


@pytest.mark.parametrize(("present", "expected"), CASES)
def test_find_config_order(tmp_path: Path, present: set[str], expected: str) -> None:
    cwd = tmp_path / "work"
    user_dir = tmp_path / "home" / ".config" / "monitor"
    files = {
        "option": tmp_path / "given.toml",
        "env": tmp_path / "from-env.toml",
        "cwd": cwd / "config" / "monitor.toml",
        "user": user_dir / "monitor.toml",
    }
    for name in present:
        files[name].parent.mkdir(parents=True, exist_ok=True)
        files[name].write_text("", encoding="utf-8")
    cwd.mkdir(exist_ok=True)
    explicit = files["option"] if "option" in present else None
    env = {"MONITOR_CONFIG": str(files["env"])} if "env" in present else {}
    path, source = find_config(explicit, env=env, cwd=cwd, user_dir=user_dir)
    assert source == expected
    if expected == "bundled":
        assert path.name == "monitor.toml" and path.parent.name == "bundled"
    else:
        assert path == files[expected]


def test_a_relative_config_path_is_relative_to_cwd(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text("", encoding="utf-8")
    assert find_config(Path("mine.toml"), env={}, cwd=tmp_path) == (
        tmp_path / "mine.toml",
        "option",
    )
    env = {"MONITOR_CONFIG": "mine.toml"}
    assert find_config(None, env=env, cwd=tmp_path) == (tmp_path / "mine.toml", "env")


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        ("missing.toml", {}, "missing.toml: no such config file (named by --config)"),
        (
            None,
            {"MONITOR_CONFIG": "gone.toml"},
            "gone.toml: no such config file (named by MONITOR_CONFIG)",
        ),
    ],
)
def test_a_named_file_that_does_not_exist_is_an_error(
    tmp_path: Path, explicit: str | None, env: dict[str, str], expected: str
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "monitor.toml").write_text("", encoding="utf-8")  # never fallen to
    with pytest.raises(ConfigError) as caught:
        find_config(Path(explicit) if explicit else None, env=env, cwd=tmp_path)
    assert str(caught.value) == expected


def test_an_empty_monitor_config_is_unset(tmp_path: Path) -> None:
    assert find_config(None, env={"MONITOR_CONFIG": ""}, cwd=tmp_path, user_dir=tmp_path)[1] == (
        "bundled"
    )


def test_load_config_reports_where_the_settings_came_from(tmp_path: Path) -> None:
    local = tmp_path / "config" / "monitor.toml"
    local.parent.mkdir()
    local.write_text("[fetch]\nmax_redirects = 3\n", encoding="utf-8")
    local.chmod(0o600)
    loaded = load_config(None, env={}, cwd=tmp_path, user_dir=tmp_path / "none")
    assert (loaded.source, loaded.path) == ("cwd", local)
    assert loaded.settings.fetch.max_redirects == 3
    assert loaded.settings.feeds == ()


def test_errors_name_a_file_found_in_cwd_relative_to_it(tmp_path: Path) -> None:
    local = tmp_path / "config" / "monitor.toml"
    local.parent.mkdir()
    local.write_text("[fetch]\n\nsmtp_host = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^config/monitor.toml:3: fetch.smtp_host: unknown key"):
        load_config(None, env={}, cwd=tmp_path, user_dir=tmp_path / "none")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MONITOR_DATA_DIR": "/srv/monitor"}, Path("/srv/monitor")),
        ({"MONITOR_DATA_DIR": "~/mon"}, Path("~/mon").expanduser()),
    ],
)
def test_data_dir_from_the_environment(env: dict[str, str], expected: Path) -> None:
    assert data_dir(env) == expected


def test_data_dir_defaults_to_the_user_data_directory() -> None:
    default = data_dir({})
    assert default.is_absolute()
    assert default.name == "monitor"
    assert data_dir({"MONITOR_DATA_DIR": ""}) == default
