"""The deploy/ files (systemd unit, Dockerfile, compose file) name real settings and commands.

Reads files; runs systemd-analyze when installed, and the container health probe against a
loopback HTTP server.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import pytest
import yaml  # no types-PyYAML in the test extra
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from monitor.cli import cli
from monitor.config_loader import load_config
from monitor.config_loader.environment import (
    FILE_SUFFIX,
    RESERVED,
    RESERVED_PREFIX,
    setting_variables,
)
from monitor.db.engine import create_engine_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "systemd" / "monitor.service"
ENV_EXAMPLE = DEPLOY / "systemd" / "monitor.env.example"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
COMPOSE = DEPLOY / "docker-compose.yml"
README = DEPLOY / "README.md"
HEALTHCHECK = DEPLOY / "docker" / "healthcheck.py"
CONSTRAINTS = DEPLOY / "constraints.txt"
DEPLOY_FILES = [UNIT, ENV_EXAMPLE, DOCKERFILE, DOCKERIGNORE, COMPOSE, README, HEALTHCHECK]

# Commands the deploy files must run: if one disappears from the CLI, these tests fail.
EXPECTED_COMMANDS = {("db", "upgrade"), ("run",)}
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "CapabilityBoundingSet": "",
    "SystemCallFilter": "@system-service",
}
_VARIABLE = re.compile(r"\bMONITOR_[A-Z][A-Z0-9_]*")
_CODE_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_MONITOR_WORDS = re.compile(r"(?:^|[ \t/])monitor((?:[ \t]+[a-z][a-z-]*)+)", re.MULTILINE)


def _unit_entries(text: str) -> dict[str, list[tuple[str, str]]]:
    """systemd unit syntax: [Section] headers, Key=Value lines (repeatable), # and ; comments."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, equals, value = line.partition("=")
        assert equals and current is not None, f"{UNIT.name}:{number}: not Key=Value: {line!r}"
        assert not line.endswith("\\"), f"{UNIT.name}:{number}: continuation lines not expected"
        current.append((key.strip(), value.strip()))
    return sections


def _values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [value for name, value in section if name == key]


def _service() -> list[tuple[str, str]]:
    return _unit_entries(UNIT.read_text(encoding="utf-8"))["Service"]


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _monitor_services() -> dict[str, dict[str, Any]]:
    """Compose services that run the monitor image (entry point `monitor`)."""
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return {name: s for name, s in services.items() if "build" in s}


def _env_lines(text: str, *, commented: bool) -> dict[str, str]:
    """KEY=value lines of an environment file; with commented=True also `#KEY=value` lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if commented:
            line = line.removeprefix("#")
        match = re.fullmatch(r"(MONITOR_[A-Z0-9_]+)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def _invocations() -> set[tuple[str, ...]]:
    """Every argument list given to `monitor` in the deploy files (up to the first option)."""
    found: set[tuple[str, ...]] = set()
    for key in ("ExecStartPre", "ExecStart"):
        for command in _values(_service(), key):
            program, *args = shlex.split(command)
            assert program.endswith("/monitor"), command
            found.add(tuple(_words(args)))
    for service in _monitor_services().values():
        found.add(tuple(_words(service["command"])))
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    entrypoint = re.search(r"^ENTRYPOINT (.+)$", dockerfile, re.MULTILINE)
    default = re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE)
    assert entrypoint and default
    assert yaml.safe_load(entrypoint.group(1)) == ["monitor"]
    found.add(tuple(_words(yaml.safe_load(default.group(1)))))
    for block in _CODE_BLOCK.findall(README.read_text(encoding="utf-8")):
        for match in _MONITOR_WORDS.finditer(block):
            found.add(tuple(match.group(1).split()))
    return found


def _words(args: list[str]) -> list[str]:
    words: list[str] = []
    for arg in args:
        if arg.startswith("-"):
            break
        words.append(arg)
    return words


def _resolves(words: tuple[str, ...]) -> bool:
    command: click.Command = cli
    for word in words:
        if not isinstance(command, click.Group) or word not in command.commands:
            return False
        command = command.commands[word]
    return not isinstance(command, click.Group)


def test_every_monitor_variable_in_deploy_files_is_a_setting() -> None:
    known = set(setting_variables())
    allowed = known | {name + FILE_SUFFIX for name in known} | RESERVED
    used = {
        (path.name, name)
        for path in DEPLOY_FILES
        for name in _VARIABLE.findall(path.read_text(encoding="utf-8"))
    }
    assert used
    unknown = sorted(
        (file, name)
        for file, name in used
        if name not in allowed and not name.startswith(RESERVED_PREFIX)
    )
    assert unknown == []


def test_every_monitor_command_in_deploy_files_exists() -> None:
    invocations = _invocations()
    assert invocations >= EXPECTED_COMMANDS
    assert sorted(words for words in invocations if not _resolves(words)) == []


def test_compose_runs_two_workers_after_migration_on_healthy_postgres() -> None:
    services = _compose()["services"]
    assert set(services) >= {"postgres", "mailpit", "migrate", "worker"}
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["postgres"]["volumes"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    worker = services["worker"]
    assert worker["command"] == ["run"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    mailpit_ports = {port.rsplit(":", 1)[1] for port in services["mailpit"]["ports"]}
    assert mailpit_ports == {"1025", "8025"}


@pytest.mark.parametrize("service", ["migrate", "worker"])
def test_compose_environment_and_mounted_config_load(service: str) -> None:
    spec = _monitor_services()[service]
    env = {key: str(value) for key, value in spec["environment"].items()}
    mounts = {mount.split(":")[1]: mount.split(":")[0] for mount in spec["volumes"]}
    assert mounts[env["MONITOR_CONFIG"]] == "../config/monitor.toml"
    assert spec["volumes"][0].endswith(":ro")
    config = (COMPOSE.parent / mounts[env["MONITOR_CONFIG"]]).resolve()
    settings = load_config(config, env=env, cwd=ROOT).settings
    assert settings.database.url is not None
    url = settings.database.url.get_secret_value()
    assert url == env["MONITOR_DATABASE_URL"]
    assert create_engine_for(url).dialect.driver == "psycopg"
    assert (settings.smtp.host, settings.smtp.port) == ("mailpit", 1025)
    assert settings.smtp.security == "none"


def test_env_example_loads_with_every_line_uncommented() -> None:
    env = _env_lines(ENV_EXAMPLE.read_text(encoding="utf-8"), commented=True)
    assert "MONITOR_SMTP_HOST" in env
    settings = load_config(ROOT / "config" / "monitor.toml", env=env, cwd=ROOT).settings
    assert settings.smtp.host == env["MONITOR_SMTP_HOST"]
    assert settings.daemon.log_format == env["MONITOR_DAEMON_LOG_FORMAT"]


def test_systemd_unit_upgrades_first_and_is_hardened() -> None:
    service = _service()
    pre, start = _values(service, "ExecStartPre"), _values(service, "ExecStart")
    assert len(pre) == 1 and len(start) == 1
    assert shlex.split(pre[0])[1:3] == ["db", "upgrade"]
    assert shlex.split(start[0])[1] == "run"
    assert _values(service, "Type") == ["simple"]
    assert _values(service, "Restart") == ["on-failure"]
    assert _values(service, "DynamicUser") == ["yes"]
    assert _values(service, "StateDirectory") == ["monitor"]
    assert "MONITOR_DATA_DIR=%S/monitor" in _values(service, "Environment")
    assert _values(service, "EnvironmentFile") == ["-/etc/monitor/monitor.env"]
    for key, value in HARDENING.items():
        assert value in _values(service, key), key


def test_systemd_unit_gives_each_credential_file_variable_its_credential() -> None:
    service = _service()
    credentials = {value.split(":", 1)[0] for value in _values(service, "LoadCredential")}
    file_variables = {
        name: value
        for name, _, value in (entry.partition("=") for entry in _values(service, "Environment"))
        if name.endswith(FILE_SUFFIX)
    }
    assert file_variables == {
        "MONITOR_DATABASE_URL_FILE": "%d/database_url",
        "MONITOR_SMTP_PASSWORD_FILE": "%d/smtp_password",
    }
    assert {value.removeprefix("%d/") for value in file_variables.values()} == credentials


def test_systemd_stop_timeout_exceeds_the_shutdown_grace() -> None:
    (timeout,) = _values(_service(), "TimeoutStopSec")
    grace = load_config(ROOT / "config" / "monitor.toml", env={}, cwd=ROOT).settings
    assert float(timeout.removesuffix("s")) > grace.daemon.shutdown_grace


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # verify checks that ExecStart programs exist: point them at this checkout's monitor.
    installed = str(Path(sys.executable).parent / "monitor")
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace("/opt/monitor/.venv/bin/monitor", installed),
        encoding="utf-8",
    )
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_dockerfile_is_multi_stage_non_root_and_checks_health() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    instructions = [line.split(None, 1) for line in text.splitlines() if re.match(r"^[A-Z]", line)]
    froms = [rest for word, rest in instructions if word == "FROM"]
    assert len(froms) >= 2
    users = [rest.split(":")[0] for word, rest in instructions if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(word == "HEALTHCHECK" for word, _ in instructions)
    assert ["VOLUME", "/data"] in instructions
    assert ["EXPOSE", "9464"] in instructions
    assert "MONITOR_DATA_DIR=/data" in text
    assert not re.search(r"(curl|wget)[^\n]*\|\s*(ba)?sh", text)


def test_dockerfile_copies_only_what_the_ignore_file_lets_in() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    allowed = [p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")]
    copies = re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    sources = [source for line in copies for source in line.split()]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert any(source == a or source.startswith(a + "/") for a in allowed), source


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement = Requirement(line)
        [spec] = requirement.specifier
        assert spec.operator == "==", f"not pinned: {line}"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"pinned twice: {name}"
        pins[name] = Version(spec.version)
    return pins


def test_constraints_pin_every_runtime_dependency_within_its_declared_range() -> None:
    """The image installs at the versions the suite last passed with (RELIABILITY 67); each pin
    must be one pyproject.toml allows, so that the two cannot drift apart unnoticed."""
    pins = _pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned in deploy/constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (text, pins[name])
        for extra in requirement.extras:  # psycopg[binary] brings psycopg-binary
            assert canonicalize_name(f"{name}-{extra}") in pins, (text, extra)
    assert "monitor" not in pins and len(pins) > len(project["dependencies"])
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert "COPY deploy/constraints.txt /constraints.txt" in dockerfile
    assert re.search(r"pip install -c /constraints\.txt /wheels/\*\.whl", dockerfile)


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _probe(port: int) -> int:
    env = {"MONITOR_DAEMON_HEALTH_PORT": str(port), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, timeout=30
    )
    return result.returncode


@pytest.mark.parametrize(("status", "exit_code"), [(200, 0), (204, 0), (503, 1), (500, 1)])
def test_container_health_probe_follows_healthz(
    health_server: ThreadingHTTPServer, status: int, exit_code: int, monkeypatch: Any
) -> None:
    monkeypatch.setattr(_Health, "status", status)
    assert _probe(health_server.server_address[1]) == exit_code


def test_container_health_probe_fails_when_nothing_listens(
    health_server: ThreadingHTTPServer,
) -> None:
    port = health_server.server_address[1]
    health_server.shutdown()
    health_server.server_close()
    assert _probe(port) == 1
