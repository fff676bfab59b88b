"""`monitor stance`: judge an article (file or URL) or a JSONL stream of pairs; file/network I/O.

Two modes:

- ``monitor stance --claim TEXT FILE|URL [--json]`` judges one article: a plain-text file, an
  HTML file (recognised by its content; its text is extracted), or an http(s) URL fetched with
  the product's Fetcher (address guard, caps and timeouts of ``[fetch]``). HTML is extracted in
  a sandbox worker under the ``[extract]`` deadline and memory limit, as in the pipeline.
- ``monitor stance --pairs FILE.jsonl`` (``-`` for stdin) reads lines ``{"id", "claim",
  "text"}`` and streams one line ``{"id", "stance", "confidence", "quote"}`` per pair, in input
  order. A malformed line gets ``{"id": <id or null>, "error": "..."}`` and a note on stderr with
  its line number; the command then exits 1. Blank lines are skipped.

Exit codes: 0 fine; 1 some pairs were malformed; 2 nothing could be judged (usage, missing file,
fetch failure, page without text).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click
from rich.markup import escape

from monitor.cli.common import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    CommandError,
    config_option,
    err_console,
    load,
    out_console,
)
from monitor.domain import ExtractedArticle, FetchStatus
from monitor.extract import extract_article
from monitor.fetch import Fetcher, default_user_agent
from monitor.sandbox import Sandbox, SandboxError
from monitor.settings import Settings
from monitor.stance import Judgement, StanceModel
from monitor.stance.base import judge_all
from monitor.urls import redact_url
from monitor.watchlist import default_stance_model

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SNIFF_CHARS = 8192
# A document that opens (after comments) with one of these tags, or opens with markup (an XML
# declaration, say) and has an <html> tag near its start.
_HTML_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|article|main|div|p)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TAG = re.compile(r"<html\b", re.IGNORECASE)


@click.command()
@config_option
@click.option("--claim", metavar="TEXT", help="The claim to judge the article against.")
@click.option(
    "--pairs",
    "pairs",
    type=click.File("rb"),
    metavar="FILE.jsonl",
    help='Judge many pairs: lines {"id", "claim", "text"} ("-" reads stdin).',
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
@click.argument("source", required=False, metavar="FILE|URL")
def stance(
    config_path: Path | None,
    claim: str | None,
    pairs: IO[bytes] | None,
    as_json: bool,
    source: str | None,
) -> None:
    """Judge whether an article supports, refutes, reports or ignores a claim.

    One article: --claim TEXT FILE|URL (plain text, HTML, or an http(s) URL). Many pairs:
    --pairs FILE.jsonl, one JSON line out per line in.
    """
    if pairs is not None:
        if claim is not None or source is not None:
            raise click.UsageError("--pairs takes no --claim and no FILE|URL")
        failed = judge_pairs(
            pairs, default_stance_model(batch_job=True), write=click.echo, warn=_warn_line
        )
        raise SystemExit(EXIT_SOME_FAILED if failed else EXIT_OK)
    if claim is None or not claim.strip():
        raise click.UsageError("give --claim TEXT and a FILE|URL, or --pairs FILE.jsonl")
    if source is None:
        raise click.UsageError("missing FILE|URL to judge the claim against")
    settings = load(config_path).settings
    text = asyncio.run(read_article(source, settings))
    judgement = default_stance_model().judge(claim, text)
    if as_json:
        click.echo(json.dumps(judgement_json(judgement), ensure_ascii=False))
    else:
        _print_judgement(judgement)


def judgement_json(judgement: Judgement) -> dict[str, Any]:
    """The `--json` object of the single-article mode."""
    return {
        "stance": judgement.stance.value,
        "confidence": judgement.confidence,
        "quote": judgement.quote,
        "model_version": judgement.model_version,
    }


def _print_judgement(judgement: Judgement) -> None:
    lines = [
        f"[bold]stance:[/]     {judgement.stance.value}",
        f"[bold]confidence:[/] {judgement.confidence:.2f}",
        f"[bold]quote:[/]      {escape(judgement.quote) if judgement.quote else '-'}",
        f"[bold]model:[/]      {escape(judgement.model_version)}",
    ]
    for line in lines:
        out_console.print(line, highlight=False, soft_wrap=True)


# --- one article --------------------------------------------------------------------------


async def read_article(source: str, settings: Settings) -> str:
    """The plain text of a file or http(s) URL; raises CommandError when there is none."""
    if _URL.match(source):
        html, url, charset = await _fetch(source, settings)
        return _need_text(await _extract(html, url, charset, settings), redact_url(source))
    path = Path(source)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"{source}: no such file") from None
    except OSError as exc:
        raise CommandError(f"{source}: cannot read: {exc.strerror or exc}") from None
    document = _decode(data)
    if looks_like_html(document):
        url = path.resolve().as_uri()
        return _need_text(await _extract(data, url, None, settings), source)
    if not document.strip():
        raise CommandError(f"{source}: the file has no text")
    return document


def looks_like_html(document: str) -> bool:
    """Whether decoded file content is an HTML page rather than plain text."""
    head = document[:_SNIFF_CHARS]
    if _HTML_START.match(head):
        return True
    return head.lstrip().startswith("<") and _HTML_TAG.search(head) is not None


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


async def _fetch(url: str, settings: Settings) -> tuple[bytes, str, str | None]:
    user_agent = settings.fetch.user_agent or default_user_agent()
    async with Fetcher(settings.fetch, user_agent=user_agent) as fetcher:
        page = await fetcher.fetch_page(url)
    if page.status is not FetchStatus.OK or page.body is None:
        reason = page.error.message if page.error else f"unexpected status {page.status}"
        raise CommandError(f"cannot fetch {redact_url(url)}: {reason}")
    return page.body, page.final_url, page.charset


async def _extract(html: bytes, url: str, charset: str | None, settings: Settings) -> str:
    """The article text of a page, extracted in a sandbox worker like the pipeline does."""
    extract = functools.partial(
        extract_article, url=url, charset=charset, max_input_size=settings.extract.max_input_size
    )
    with Sandbox(
        workers=1, memory_limit=settings.extract.memory_limit, preload=("monitor.extract",)
    ) as pool:
        try:
            article: ExtractedArticle = await pool.run(
                extract, html, deadline=settings.extract.deadline
            )
        except SandboxError as exc:
            raise CommandError(f"{redact_url(url)}: extraction failed: {exc}") from None
    return article.text if article.has_text else ""


def _need_text(text: str, shown: str) -> str:
    if not text:
        raise CommandError(f"{shown}: no article text found on the page")
    return text


# --- pairs --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    """One well-formed input line."""

    id: str | int
    claim: str
    text: str


@dataclass(frozen=True, slots=True)
class BadLine:
    """Why an input line could not be judged, and its id when one could be read."""

    id: str | int | None
    error: str


def parse_pair(raw: bytes) -> Pair | BadLine:
    """One JSONL line as a Pair, or what is wrong with it."""
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        return BadLine(None, "not UTF-8")
    except json.JSONDecodeError as exc:
        return BadLine(None, f"not valid JSON: {exc.msg} (column {exc.colno})")
    if not isinstance(data, dict):
        return BadLine(None, f"expected a JSON object, got {_json_type(data)}")
    pair_id = data.get("id")
    if not isinstance(pair_id, str | int) or isinstance(pair_id, bool):
        problem = "missing" if pair_id is None else f"a {_json_type(pair_id)}"
        return BadLine(None, f'"id" must be a string or an integer, got {problem}')
    for key in ("claim", "text"):
        if not isinstance(data.get(key), str):
            return BadLine(pair_id, f'"{key}" must be a string')
    if not data["claim"].strip():
        return BadLine(pair_id, '"claim" is empty')
    return Pair(pair_id, data["claim"], data["text"])


PAIRS_PER_BATCH = 256


def judge_pairs(
    lines: Iterable[bytes],
    model: StanceModel,
    *,
    write: Callable[[str], None],
    warn: Callable[[int, str], None],
) -> int:
    """Judge the lines (in batches of PAIRS_PER_BATCH, output in input order) and write one JSON
    line for each; return how many failed."""
    failed = 0
    batch: list[Pair | BadLine] = []

    def flush() -> None:
        pairs = [p for p in batch if isinstance(p, Pair)]
        judged = iter(judge_all(model, [(p.claim, p.text) for p in pairs]))
        for item in batch:
            if isinstance(item, BadLine):
                write(json.dumps({"id": item.id, "error": item.error}, ensure_ascii=False))
                continue
            judgement = next(judged)
            row = {
                "id": item.id,
                "stance": judgement.stance.value,
                "confidence": judgement.confidence,
                "quote": judgement.quote,
            }
            write(json.dumps(row, ensure_ascii=False))
        batch.clear()

    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        parsed = parse_pair(raw)
        if isinstance(parsed, BadLine):
            failed += 1
            warn(number, parsed.error)
        batch.append(parsed)
        if len(batch) >= PAIRS_PER_BATCH:
            flush()
    flush()
    return failed


def _warn_line(number: int, error: str) -> None:
    err_console.print(f"[yellow]line {number}:[/] {escape(error)}", highlight=False, soft_wrap=True)


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", float: "number"}
    if value is None:
        return "null"
    return names.get(type(value), "integer" if isinstance(value, int) else type(value).__name__)
