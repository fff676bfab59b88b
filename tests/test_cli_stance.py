"""`monitor stance` through Click's runner: files, HTML, loopback URLs, JSON and JSONL pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.cli.stance import looks_like_html, stance
from monitor.watchlist import default_stance_model
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import article_page
from tests.stories import DENIAL

if "stance" not in cli.commands:  # until the lead registers it in monitor/cli/__init__.py
    cli.add_command(stance)

CONTACT = "Elon Musk has been in regular contact with Vladimir Putin since late 2022."
# The Kremlin's denial as a short news item (tests/stories.py), and its first sentence, the quote.
PESKOV_DENIAL = " ".join(DENIAL)
DENIAL_QUOTE = (
    "Kremlin spokesman Dmitry Peskov on Friday denied that Elon Musk and Vladimir Putin are in"
    " regular contact."
)
KREMLIN_CONFIRMS = (
    "The Kremlin confirmed on Tuesday that Elon Musk and Vladimir Putin have been in regular"
    " contact since late 2022."
)
WSJ_REPORT = (
    "The Wall Street Journal reported that Elon Musk has been in regular contact with Vladimir"
    " Putin since late 2022, citing several current and former officials."
)
METRO = (
    "Moscow's mayor opened a new metro line on Saturday. Passengers praised the stations,"
    " and officials said two more lines would open next year."
)
FILLER = (
    "The statement came after weeks of speculation in Washington and Moscow about the nature of"
    " the contacts, which neither side had addressed in public before."
)


def run(env: dict[str, str], *args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["stance", *args], env=env, input=stdin, catch_exceptions=False)


def loopback_config(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(
        '[fetch]\nallow_private = ["127.0.0.1/32"]\nper_host_spacing = 0\npage_deadline = "3s"\n'
        "[extract]\nworkers = 1\n"
    )
    return path


def test_plain_text_denial_refutes(env: dict[str, str], tmp_path: Path) -> None:
    article = tmp_path / "denial.txt"
    article.write_text(PESKOV_DENIAL + "\n")
    result = run(env, "--claim", CONTACT, str(article))
    assert result.exit_code == 0, result.output
    assert "refutes" in result.stdout
    assert DENIAL_QUOTE in result.stdout
    assert default_stance_model().version in result.stdout


def test_json_has_the_four_keys(env: dict[str, str], tmp_path: Path) -> None:
    article = tmp_path / "confirm.txt"
    article.write_text(KREMLIN_CONFIRMS)
    result = run(env, "--claim", CONTACT, str(article), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"stance", "confidence", "quote", "model_version"}
    assert data["stance"] == "supports"
    assert data["quote"] == KREMLIN_CONFIRMS
    assert 0.0 < data["confidence"] <= 1.0
    assert data["model_version"] == default_stance_model().version


def test_html_file_is_extracted_before_judging(env: dict[str, str], tmp_path: Path) -> None:
    page = tmp_path / "page.dat"  # recognised by content, not by name
    page.write_text(article_page("Kremlin denies", [PESKOV_DENIAL, FILLER]))
    result = run(env, "--claim", CONTACT, str(page), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["stance"] == "refutes"
    assert data["quote"] == DENIAL_QUOTE  # text, not markup


def test_loopback_url_is_fetched_and_extracted(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    body = article_page("Report", [WSJ_REPORT, FILLER])
    http_server.route("/story", body=body, content_type="text/html; charset=utf-8")
    config = loopback_config(tmp_path)
    url = http_server.url("/story")
    result = run(env, "--config", str(config), "--claim", CONTACT, url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stance"] == "reports"
    assert http_server.requests_to("/story")


def test_url_fetch_failure_is_one_line_and_exit_2(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    http_server.route("/gone", status=404, body="gone")
    config = loopback_config(tmp_path)
    result = run(env, "--config", str(config), "--claim", CONTACT, http_server.url("/gone"))
    assert result.exit_code == 2
    assert "cannot fetch" in result.stderr
    assert "404" in result.stderr
    assert result.stdout == ""


def test_private_address_is_refused_without_allow_private(
    env: dict[str, str], http_server: LoopbackHTTPServer
) -> None:
    http_server.route("/story", body=article_page("R", [WSJ_REPORT]), content_type="text/html")
    result = run(env, "--claim", CONTACT, http_server.url("/story"))
    assert result.exit_code == 2
    assert "cannot fetch" in result.stderr
    assert http_server.requests == []


def test_page_without_text_exits_2(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    http_server.route(
        "/empty", body="<html><body><nav>Home</nav></body></html>", content_type="text/html"
    )
    config = loopback_config(tmp_path)
    result = run(env, "--config", str(config), "--claim", CONTACT, http_server.url("/empty"))
    assert result.exit_code == 2
    assert "no article text" in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "no such file"),
        ("blank.txt", "  \n\n", "has no text"),
    ],
)
def test_unusable_file_exits_2(
    env: dict[str, str], tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    result = run(env, "--claim", CONTACT, str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [
        [],  # neither mode
        ["--claim", CONTACT],  # no source
        ["--claim", "  ", "x.txt"],  # empty claim
        ["--pairs", "-", "--claim", CONTACT],  # both modes
        ["--pairs", "missing.jsonl"],  # missing pairs file
    ],
)
def test_usage_errors_exit_2(env: dict[str, str], args: list[str]) -> None:
    assert run(env, *args, stdin=b"").exit_code == 2


def _pair(pair_id: object, claim: str, text: str) -> str:
    return json.dumps({"id": pair_id, "claim": claim, "text": text})


PAIRS = [
    _pair("a", CONTACT, PESKOV_DENIAL),
    _pair(2, CONTACT, METRO),
    '{"id": "bad", "claim": "no closing brace"',
    "",  # blank lines are skipped
    _pair("d", CONTACT, KREMLIN_CONFIRMS),
]


def test_pairs_stream_in_order_with_a_malformed_line(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(PAIRS) + "\n")
    result = run(env, "--pairs", str(path))
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == ["a", 2, None, "d"]
    assert [row.get("stance") for row in rows] == ["refutes", "unrelated", None, "supports"]
    assert set(rows[0]) == {"id", "stance", "confidence", "quote"}
    assert rows[0]["quote"] == DENIAL_QUOTE
    assert rows[1]["quote"] == ""
    assert set(rows[2]) == {"id", "error"}
    assert "not valid JSON" in rows[2]["error"]
    assert "line 3" in result.stderr


def test_pairs_from_stdin_all_good_exits_0(env: dict[str, str]) -> None:
    stdin = "\n".join([PAIRS[0], PAIRS[4]]).encode()  # no final newline
    result = run(env, "--pairs", "-", stdin=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["stance"]) for r in rows] == [("a", "refutes"), ("d", "supports")]
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("line", "expected_id", "message"),
    [
        ("[1, 2]", None, "expected a JSON object, got array"),
        ('{"claim": "c", "text": "t"}', None, '"id" must be a string or an integer, got missing'),
        ('{"id": true, "claim": "c", "text": "t"}', None, "got a boolean"),
        ('{"id": "x", "claim": "c"}', "x", '"text" must be a string'),
        ('{"id": 7, "claim": 3, "text": "t"}', 7, '"claim" must be a string'),
        ('{"id": "y", "claim": " ", "text": "t"}', "y", '"claim" is empty'),
    ],
)
def test_malformed_pair_lines_name_the_problem(
    env: dict[str, str], line: str, expected_id: object, message: str
) -> None:
    result = run(env, "--pairs", "-", stdin=(line + "\n" + PAIRS[0] + "\n").encode())
    assert result.exit_code == 1
    bad, good = (json.loads(row) for row in result.stdout.splitlines())
    assert bad == {"id": expected_id, "error": bad["error"]}
    assert message in bad["error"]
    assert good["stance"] == "refutes"
    assert result.stderr == f"line 1: {bad['error']}\n"


def test_pairs_line_that_is_not_utf8(env: dict[str, str]) -> None:
    result = run(env, "--pairs", "-", stdin=b'{"id": "\xff"}\n')
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"id": None, "error": "not UTF-8"}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("<!DOCTYPE html><p>x</p>", True),
        ("  <!-- saved page -->\n<html><body>x</body></html>", True),
        ("<div>a fragment</div>", True),
        ('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml">', True),
        ("Musk and Putin talk <sometimes>.", False),
        ("Plain text about the <html> tag", False),
        ("Plain text.\nNo markup at all.", False),
    ],
)
def test_html_is_recognised_by_content(document: str, expected: bool) -> None:
    assert looks_like_html(document) is expected
