"""`monitor claims propose`: proposed entities and claims of a document as TOML; file/network I/O.

The document is a plain-text file, an HTML file (its article text is extracted) or an http(s)
URL, read as `monitor stance` reads it. Entities already in the configuration keep their ids and
are only listed in a comment; new entity and claim ids never clash with configured ones. The
output is TOML to paste into the watchlist: [[entities]] blocks, then [[claims]] blocks, each
claim preceded by a comment quoting the sentence it came from.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import click

from monitor.cli.common import config_option, load
from monitor.cli.stance import read_article
from monitor.propose import Proposal
from monitor.propose import propose as propose_claims
from monitor.settings import EntitySettings

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@click.command()
@config_option
@click.argument("source", metavar="FILE|URL")
def propose(config_path: Path | None, source: str) -> None:
    """Propose entities and check-worthy claims found in a document, as TOML for the watchlist."""
    settings = load(config_path).settings
    text = asyncio.run(read_article(source, settings))
    proposal = propose_claims(text, settings.entities, [c.id for c in settings.claims])
    click.echo(render_toml(proposal, source), nl=False)


def render_toml(proposal: Proposal, source: str) -> str:
    """The proposal as TOML: a header comment, [[entities]] blocks, then [[claims]] blocks."""
    lines = [f"# Proposed by `monitor claims propose` from {_comment(source)}."]
    lines.append("# Review before pasting: rules, not judgement, chose these.")
    if proposal.reused:
        lines.append(f"# Entities already in your config: {', '.join(proposal.reused)}")
    if not proposal.claims:
        lines.append("# No check-worthy claims found.")
    for entity in proposal.entities:
        lines += ["", *_entity_lines(entity)]
    for claim in proposal.claims:
        lines += ["", f"# from: {_comment(json.dumps(claim.original, ensure_ascii=False))}"]
        lines += [
            "[[claims]]",
            f"id = {_string(claim.id)}",
            f"text = {_string(claim.text)}",
            f"entities = {_strings(claim.entities)}",
            f"kind = {_string(claim.kind)}",
        ]
        if claim.source is not None:
            lines.append(f"source = {_string(claim.source)}")
    return "\n".join(lines) + "\n"


def _entity_lines(entity: EntitySettings) -> list[str]:
    lines = [
        "[[entities]]",
        f"id = {_string(entity.id)}",
        f"name = {_string(entity.name)}",
        f"kind = {_string(entity.kind)}",
    ]
    if entity.aliases:
        lines.append(f"aliases = {_strings(entity.aliases)}")
    return lines


def _string(value: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML escapes)."""
    return json.dumps(value, ensure_ascii=False)


def _strings(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def _comment(value: str) -> str:
    return _CONTROL.sub(" ", value)
