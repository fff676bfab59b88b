"""The bundled example config/monitor.toml: it loads, documents every setting, carries the seeds.

The documentation rule this file enforces (it fails when a setting is added undocumented):
  * every field of every [table] section (found by walking the settings models recursively)
    is written as a real key set to its default value, with a comment on the line above it;
    a field whose default is None (TOML has no null) is written as a commented-out assignment
    `# key = ...` inside its section instead, also under a comment;
  * every field of every [[array]] of tables is set in at least one element and is named in the
    comment block above the array's first element. Arrays the bundled example must not switch on
    (COMMENTED_ARRAYS: channels would send mail) are given as commented-out examples instead
    (`# [[channels]]` then `# key = value` lines), which must load once uncommented.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from monitor.config_loader import load_config, render_redacted
from monitor.config_loader.locate import locate_keys
from monitor.config_loader.schema import nested
from monitor.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "monitor.toml"
TEXT = EXAMPLE.read_text(encoding="utf-8")
LINES = TEXT.splitlines()
DATA = tomllib.loads(TEXT)
KEY_LINES = locate_keys(TEXT).lines

ENTITY_IDS = {
    "elon-musk",
    "vladimir-putin",
    "xi-jinping",
    "sergei-kiriyenko",
    "dmitry-peskov",
    "donald-trump",
    "wall-street-journal",
    "spacex",
    "starlink",
    "tesla",
    "x-platform",
    "kremlin",
    "taiwan",
    "ukraine",
    "russia",
    "china",
    "united-states",
}
FACT_IDS = {
    "musk-putin-regular-contact",
    "putin-asked-musk-no-starlink-taiwan",
    "musk-talked-with-kiriyenko",
    "starlink-pivotal-in-ukraine",
    "x-used-in-russian-disinformation",
    "trump-plans-government-role-for-musk",
}
FORECAST_IDS = {
    "musk-shapes-us-russia-policy",
    "us-reassesses-musk-defence-security",
    "musk-putin-further-negotiations",
}
STATEMENT_IDS = {"peskov-only-one-call"}


def _sections(model: type[BaseModel], path: tuple[str, ...] = ()) -> list[Any]:
    """(path, model, is_array) for every table and array of tables, recursively."""
    found: list[Any] = []
    for name, field in model.model_fields.items():
        inner = nested(field.annotation)
        if inner is not None:
            found.append(((*path, name), inner.model, inner.is_array))
            if not inner.is_array:
                found.extend(_sections(inner.model, (*path, name)))
    return found


SECTIONS = _sections(Settings)
TABLE_FIELDS = [
    (path, name)
    for path, model, is_array in [((), Settings, False), *SECTIONS]
    if not is_array
    for name, field in model.model_fields.items()
    if nested(field.annotation) is None
]
COMMENTED_ARRAYS = {("channels",)}
ARRAY_FIELDS = [
    (path, name) for path, model, is_array in SECTIONS if is_array for name in model.model_fields
]


def _commented_examples(name: str) -> tuple[list[dict[str, Any]], int]:
    """The `# [[name]]` example blocks, uncommented and parsed; and the line of the first."""
    blocks: list[list[str]] = []
    first = 0
    for number, line in enumerate(LINES, start=1):
        stripped = line.strip()
        if stripped == f"# [[{name}]]":
            blocks.append([])
            first = first or number
        elif blocks and re.match(r"^#\s*[A-Za-z0-9_-]+\s*=", stripped):
            blocks[-1].append(stripped.removeprefix("#").strip())
    return [tomllib.loads("\n".join(block)) for block in blocks if block], first


def _commented_assignments() -> dict[tuple[tuple[str, ...], str], int]:
    """(table path, key) -> line of each `# key = ...` line, by the table it sits in."""
    found: dict[tuple[tuple[str, ...], str], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(LINES, start=1):
        if header := re.match(r"^\[+\s*([^\]]+?)\s*\]+", line):
            table = tuple(part.strip() for part in header.group(1).split("."))
        elif match := re.match(r"^#\s*([A-Za-z0-9_-]+)\s*=", line):
            found.setdefault((table, match.group(1)), number)
    return found


def _is_doc_comment(line_number: int) -> bool:
    """The line (1-based) is a comment that is not itself a commented-out assignment."""
    line = LINES[line_number - 1].strip()
    return line.startswith("#") and not re.match(r"^#\s*[A-Za-z0-9_-]+\s*=", line)


def _table_data(path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = DATA
    for part in path:
        node = node.get(part, {})
    return node


def test_the_rule_sees_every_section() -> None:
    # Guards the walker itself: if it found nothing, every other check here would pass vacuously.
    tables = {path for path, _, is_array in SECTIONS if not is_array}
    arrays = {path for path, _, is_array in SECTIONS if is_array}
    assert {("database",), ("fetch",), ("parse",), ("extract",), ("polling",)} <= tables
    assert {("feeds",), ("entities",), ("claims",)} <= arrays
    assert len(TABLE_FIELDS) >= 23


@pytest.mark.parametrize(("path", "name"), TABLE_FIELDS, ids=lambda v: str(v))
def test_every_table_setting_is_written_with_its_default_and_a_comment(
    path: tuple[str, ...], name: str
) -> None:
    default = Settings()
    for part in path:
        default = getattr(default, part)
    expected = getattr(default, name)
    key = ".".join((*path, name))
    if expected is None:
        line = _commented_assignments().get((path, name))
        assert line is not None, f"{key} (default: not set) needs a `# {name} = ...` line"
        assert name not in _table_data(path), f"{key}: TOML cannot hold its default (None)"
    else:
        assert name in _table_data(path), f"{key} is missing from config/monitor.toml"
        line = KEY_LINES[(*path, name)]
        loaded = load_config(EXAMPLE, env={}, cwd=ROOT).settings
        for part in path:
            loaded = getattr(loaded, part)
        assert getattr(loaded, name) == expected, f"{key} is not set to its default"
    assert line > 1 and _is_doc_comment(line - 1), f"{key} needs a comment on the line above"


@pytest.mark.parametrize(("path", "name"), ARRAY_FIELDS, ids=lambda v: str(v))
def test_every_array_field_is_used_and_documented(path: tuple[str, ...], name: str) -> None:
    if path in COMMENTED_ARRAYS:
        elements, first = _commented_examples(path[-1])
        assert not _table_data(path[:-1]).get(path[-1]), f"the example must not enable {path}"
    else:
        elements = _table_data(path[:-1]).get(path[-1], [])
        first = KEY_LINES[(*path, 0)]
    assert any(name in element for element in elements), f"no [[{path[-1]}]] sets {name}"
    block: list[str] = []
    for line in reversed(LINES[: first - 1]):
        if line.startswith("["):
            break
        block.append(line)
    documented = any(
        line.startswith("#") and re.search(rf"\b{re.escape(name)}\b", line) for line in block
    )
    assert documented, f"{name} is not described above the first [[{path[-1]}]]"


def test_the_commented_channel_examples_load_once_uncommented(tmp_path: Path) -> None:
    examples, _ = _commented_examples("channels")
    assert {example["type"] for example in examples} == {"email", "webhook", "apprise"}
    secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    files = {"url_file": "https://hooks.example.org/monitor", "secret_file": secret}
    for example in examples:
        for key, value in files.items():
            if key in example:
                target = tmp_path / key
                target.write_text(value, encoding="utf-8")
                example[key] = str(target)
    settings = Settings.model_validate({**DATA, "channels": examples})
    assert [c.type for c in settings.channels] == [e["type"] for e in examples]


def test_the_bundled_example_loads_without_warnings() -> None:
    loaded = load_config(EXAMPLE, env={}, cwd=ROOT)
    assert loaded.source == "option"
    assert loaded.warnings == ()
    assert 15 <= len(loaded.settings.feeds) <= 25
    assert all(feed.name for feed in loaded.settings.feeds)
    assert all(feed.url.startswith("https://") for feed in loaded.settings.feeds)


def test_the_example_carries_the_seed_entities_and_claims() -> None:
    settings = load_config(EXAMPLE, env={}, cwd=ROOT).settings
    assert {e.id for e in settings.entities} == ENTITY_IDS
    claims = {c.id: c for c in settings.claims}
    assert set(claims) == FACT_IDS | FORECAST_IDS | STATEMENT_IDS
    assert {i for i, c in claims.items() if c.kind == "fact"} == FACT_IDS
    assert {i for i, c in claims.items() if c.kind == "forecast"} == FORECAST_IDS
    peskov = claims["peskov-only-one-call"]
    assert peskov.kind == "statement"
    assert peskov.denies == ("musk-putin-regular-contact",)
    wsj = claims["musk-putin-regular-contact"]
    assert wsj.source == "The Wall Street Journal, October 2024"
    assert wsj.opened is not None and wsj.opened.isoformat() == "2024-10-24"


@pytest.mark.parametrize(
    ("entity", "aliases"),
    [
        ("dmitry-peskov", {"Peskov", "Peskow", "Kremlin spokesman"}),
        ("sergei-kiriyenko", {"Kiriyenko", "Kirienko", "Kiriienko"}),
        ("xi-jinping", {"Chinese President"}),
        ("vladimir-putin", {"Putin", "Russian President"}),
        ("wall-street-journal", {"WSJ"}),
        ("x-platform", {"Twitter"}),
    ],
)
def test_entities_carry_their_aliases(entity: str, aliases: set[str]) -> None:
    settings = load_config(EXAMPLE, env={}, cwd=ROOT).settings
    found = next(e for e in settings.entities if e.id == entity)
    assert aliases <= set(found.aliases)


def test_x_the_platform_is_guarded_against_other_xs() -> None:
    settings = load_config(EXAMPLE, env={}, cwd=ROOT).settings
    x = next(e for e in settings.entities if e.id == "x-platform")
    assert {"Model X", "X-ray", "Malcolm X"} <= set(x.negative_aliases)


def test_the_seed_documents_name_what_the_example_tracks(seeds_dir: Path) -> None:
    seeds = " ".join(p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt")))
    settings = load_config(EXAMPLE, env={}, cwd=ROOT).settings
    for entity in settings.entities:
        names = [entity.name, *entity.aliases]
        assert any(name in seeds for name in names), f"{entity.id} is not in the seeds"


def test_importlib_resources_finds_the_bundled_example() -> None:
    bundled = resources.files("monitor").joinpath("bundled", "monitor.toml")
    assert bundled.is_file()
    assert bundled.read_text(encoding="utf-8") == TEXT


def test_the_bundled_copy_is_a_relative_symlink_to_the_example() -> None:
    link = ROOT / "monitor" / "bundled" / "monitor.toml"
    assert link.is_symlink()
    assert str(link.readlink()) == "../../config/monitor.toml"


def test_with_nothing_else_found_the_bundled_example_is_used(tmp_path: Path) -> None:
    loaded = load_config(None, env={}, cwd=tmp_path, user_dir=tmp_path / "none")
    assert loaded.source == "bundled"
    assert loaded.path is None
    assert {e.id for e in loaded.settings.entities} == ENTITY_IDS


def test_the_rendered_example_loads_back_the_same(tmp_path: Path) -> None:
    settings = load_config(EXAMPLE, env={}, cwd=ROOT).settings
    rendered = tmp_path / "shown.toml"
    rendered.write_text(render_redacted(settings), encoding="utf-8")
    assert load_config(rendered, env={}, cwd=tmp_path).settings == settings
