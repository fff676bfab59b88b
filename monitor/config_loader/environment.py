"""Settings from MONITOR_<SECTION>_<KEY> environment variables and their *_FILE variants.

Reads the files named by *_FILE variables (Docker and systemd secrets); otherwise pure.
Environment values win over the config file. An empty variable is ignored. A list setting
(fetch.allow_private) takes comma-separated values. A MONITOR_ variable that names no setting
is an error, so a typo cannot silently leave the default in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.config_loader.schema import is_list, is_secret, table_scalars
from monitor.errors import did_you_mean

PREFIX = "MONITOR_"
FILE_SUFFIX = "_FILE"
# Variables that are not settings: where the config file and the data live, and the stance
# model's integer kernel (`monitor.stance.kernels`, read by the process that loads the model).
RESERVED = frozenset({"MONITOR_CONFIG", "MONITOR_DATA_DIR", "MONITOR_STANCE_KERNEL"})
# Left to test harnesses (e.g. MONITOR_TEST_POSTGRES_URL); never read as settings.
RESERVED_PREFIX = "MONITOR_TEST_"


@dataclass(frozen=True)
class EnvOverride:
    """One setting taken from the environment; `value` is only the raw text or list of texts."""

    variable: str  # the variable actually set, e.g. MONITOR_DATABASE_URL_FILE
    path: tuple[str, ...]  # e.g. ('database', 'url')
    value: str | tuple[str, ...]
    secret: bool


def setting_variables() -> dict[str, tuple[tuple[str, ...], Any]]:
    """Every variable name that sets something -> (setting path, annotation)."""
    return {
        PREFIX + "_".join(part.upper() for part in path): (path, annotation)
        for path, annotation in table_scalars()
    }


def read_overrides(env: Mapping[str, str]) -> tuple[list[EnvOverride], list[str]]:
    """The overrides the environment asks for, and one problem line per unusable variable."""
    known = setting_variables()
    overrides: list[EnvOverride] = []
    problems: list[str] = []
    for variable in sorted(env):
        if not variable.startswith(PREFIX) or variable in RESERVED:
            continue
        if variable.startswith(RESERVED_PREFIX):
            continue
        raw = env[variable]
        if variable in known:
            name, from_file = variable, False
        elif variable.endswith(FILE_SUFFIX) and variable[: -len(FILE_SUFFIX)] in known:
            name, from_file = variable[: -len(FILE_SUFFIX)], True
        else:
            problems.append(f"{variable}: {_unknown(variable, known)}")
            continue
        if not raw:
            continue
        if from_file and env.get(name):
            problems.append(f"{variable}: set either {name} or {variable}, not both")
            continue
        if from_file:
            try:
                raw = _read_secret_file(Path(raw))
            except OSError as exc:
                problems.append(f"{variable}: cannot read {raw}: {exc.strerror or exc}")
                continue
        path, annotation = known[name]
        value: str | tuple[str, ...] = raw
        if is_list(annotation):
            value = tuple(item.strip() for item in raw.split(",") if item.strip())
        overrides.append(EnvOverride(variable, path, value, secret=is_secret(annotation)))
    return overrides, problems


def _read_secret_file(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")


def _unknown(variable: str, known: Mapping[str, object]) -> str:
    names = [*known, *(name + FILE_SUFFIX for name in known)]
    if hint := did_you_mean(variable, names, cutoff=0.75):
        return f"no such setting ({hint})"
    return "no such setting (variables are MONITOR_<SECTION>_<KEY>, e.g. MONITOR_FETCH_PROXY)"


def apply_overrides(data: Mapping[str, Any], overrides: list[EnvOverride]) -> dict[str, Any]:
    """A copy of the file's data with the overrides merged in (environment wins)."""
    merged: dict[str, Any] = dict(data)
    for override in overrides:
        table = merged
        for part in override.path[:-1]:
            child = table.get(part, {})
            if not isinstance(child, dict):
                break  # the file has a non-table here; its validation error will say so
            table[part] = child = dict(child)
            table = child
        else:
            table[override.path[-1]] = (
                list(override.value) if isinstance(override.value, tuple) else override.value
            )
    return merged
