"""Finds, reads and validates the configuration (TOML file + MONITOR_* environment). Reads files.

find_config      --config, else $MONITOR_CONFIG, else ./config/monitor.toml, else the user's
                 config directory, else the bundled example
load_config      the validated Settings, or ConfigError with one `file:line: key: problem`
                 line per problem (never a value of a secret)
render_redacted  TOML of the effective settings for `monitor config show`, secrets redacted
data_dir         $MONITOR_DATA_DIR, else the user's data directory
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import ValidationError

from monitor.config_loader.environment import EnvOverride, apply_overrides, read_overrides
from monitor.config_loader.exposure import exposure_warning, inline_secrets
from monitor.config_loader.locate import KeyLines, locate_keys
from monitor.config_loader.problems import Problem, problems_from, scrub
from monitor.config_loader.render import render_redacted
from monitor.config_loader.schema import dotted
from monitor.errors import ConfigError
from monitor.settings import Settings

__all__ = [
    "LoadedConfig",
    "bundled_config",
    "data_dir",
    "find_config",
    "load_config",
    "render_redacted",
]

APP_NAME = "monitor"
CONFIG_NAME = "monitor.toml"
MAX_PROBLEMS = 20
_TOML_POSITION = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$")


@dataclass(frozen=True)
class LoadedConfig:
    """Validated settings and where they came from."""

    settings: Settings
    path: Path | None  # None: the bundled example
    source: str  # 'option' | 'env' | 'cwd' | 'user' | 'bundled'
    warnings: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()  # environment variables that set something


def bundled_config() -> resources.abc.Traversable:
    """The example config shipped inside the package (monitor/bundled/monitor.toml)."""
    return resources.files("monitor").joinpath("bundled", CONFIG_NAME)


def find_config(
    explicit: Path | None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    user_dir: Path | None = None,
) -> tuple[Path, str]:
    """The config file to use and why: 'option', 'env', 'cwd', 'user' or 'bundled'.

    A file named with --config or $MONITOR_CONFIG must exist: a mistyped path is an error,
    never a silent fall-through to another file. `user_dir` defaults to platformdirs'.
    """
    from_env = Path(env["MONITOR_CONFIG"]) if env.get("MONITOR_CONFIG") else None
    for given, source, how in (
        (explicit, "option", "--config"),
        (from_env, "env", "MONITOR_CONFIG"),
    ):
        if given is None:
            continue
        path = given.expanduser()
        path = path if path.is_absolute() else cwd / path
        if not path.exists():
            raise ConfigError(f"{given}: no such config file (named by {how})")
        if not path.is_file():
            raise ConfigError(f"{given}: not a file (named by {how})")
        return path, source
    local = cwd / "config" / CONFIG_NAME
    if local.is_file():
        return local, "cwd"
    user = (user_dir or Path(platformdirs.user_config_dir(APP_NAME))) / CONFIG_NAME
    if user.is_file():
        return user, "user"
    return Path(str(bundled_config())), "bundled"


def data_dir(env: Mapping[str, str]) -> Path:
    """Where the database and state live: $MONITOR_DATA_DIR, else the user's data directory."""
    if value := env.get("MONITOR_DATA_DIR"):
        return Path(value).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME))


def load_config(
    explicit: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user_dir: Path | None = None,
) -> LoadedConfig:
    """Find, read and validate the configuration; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    path, source = find_config(explicit, env=env, cwd=cwd, user_dir=user_dir)
    label = "bundled monitor.toml" if source == "bundled" else _label(path, cwd)
    text = _read_text(path, label, bundled=source == "bundled")
    data = _parse_toml(text, label)
    overrides, env_problems = read_overrides(env)
    merged = apply_overrides(data, overrides)
    secrets = _secret_values(data, overrides)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        lines = _placed(problems_from(exc), label, locate_keys(text), overrides)
        raise ConfigError(_joined([*env_problems, *lines], secrets)) from None
    if env_problems:
        raise ConfigError(_joined(env_problems, secrets))
    warnings: list[str] = []
    if source != "bundled" and (warning := exposure_warning(path, label, inline_secrets(data))):
        warnings.append(warning)
    return LoadedConfig(
        settings=settings,
        path=None if source == "bundled" else path,
        source=source,
        warnings=tuple(warnings),
        overrides=tuple(o.variable for o in overrides),
    )


def _label(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def _read_text(path: Path, label: str, *, bundled: bool) -> str:
    try:
        raw = bundled_config().read_bytes() if bundled else path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read the config file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{label}:{line}: not UTF-8 text") from None


def _parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        if match := _TOML_POSITION.match(message):
            reason, line, column = match.groups()
            raise ConfigError(f"{label}:{line}:{column}: invalid TOML: {reason}") from None
        reason = message.removesuffix(" (at end of document)")
        line_count = len(text.splitlines()) or 1
        raise ConfigError(f"{label}:{line_count}: invalid TOML: {reason}") from None


def _placed(
    problems: list[Problem], label: str, lines: KeyLines, overrides: list[EnvOverride]
) -> list[str]:
    """`file:line: key: problem`, or `VARIABLE: key: problem` for values from the environment."""
    placed: list[str] = []
    for problem in problems:
        key = dotted(problem.loc)
        origin = next((o for o in overrides if problem.loc[: len(o.path)] == o.path), None)
        if origin is not None:
            where = origin.variable
        elif (line := lines.line_of(problem.loc) if problem.loc else None) is not None:
            where = f"{label}:{line}"
        else:
            where = label
        placed.append(f"{where}: {key}: {problem.text}" if key else f"{where}: {problem.text}")
    return placed


def _joined(lines: list[str], secrets: list[str]) -> str:
    if len(lines) > MAX_PROBLEMS:
        lines = [*lines[:MAX_PROBLEMS], f"... and {len(lines) - MAX_PROBLEMS} more problems"]
    return "\n".join(scrub(line, secrets) for line in lines)


def _secret_values(data: Mapping[str, Any], overrides: list[EnvOverride]) -> list[str]:
    """Raw secret values from the file and the environment, to scrub from any message."""
    values = [o.value for o in overrides if o.secret and isinstance(o.value, str)]
    for key in inline_secrets(data):
        node: Any = data
        for part in re.findall(r"[^.\[\]]+", key):
            node = node[int(part)] if isinstance(node, list) else node.get(part)
        if isinstance(node, str):
            values.append(node)
    return values
