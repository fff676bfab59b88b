"""The command line through Click's runner: exit codes, JSON contract, feeds management."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from tests.fixtures_cli import joined_column, table_lines
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import PARAGRAPHS, Item, article_page, rss

RSS = "application/rss+xml"


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def write_config(tmp_path: Path, feeds: list[str], extra: str = "") -> Path:
    blocks = "".join(
        f'[[feeds]]\nurl = "{url}"\nname = "Feed {n}"\n\n' for n, url in enumerate(feeds)
    )
    path = tmp_path / "monitor.toml"
    path.write_text(
        '[fetch]\nallow_private = ["127.0.0.1/32"]\nper_host_spacing = 0\n'
        'feed_deadline = "3s"\npage_deadline = "3s"\n'
        "[extract]\nworkers = 1\n\n" + extra + blocks
    )
    return path


@pytest.fixture
def site(http_server: LoopbackHTTPServer) -> Callable[[str], str]:
    """Serve a feed with one article at `path`; return the feed URL."""

    def serve(path: str) -> str:
        page = f"{path}-story"
        http_server.route(page, body=article_page("A story", PARAGRAPHS), content_type="text/html")
        http_server.route(
            path, body=rss([Item("A story", http_server.url(page))]), content_type=RSS, etag='"1"'
        )
        return http_server.url(path)

    return serve


def test_check_prints_the_json_contract_and_exits_0(
    env: dict[str, str], tmp_path: Path, site: Callable[[str], str]
) -> None:
    config = write_config(tmp_path, [site("/feed.xml")])
    result = run(env, "check", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"version", "feeds", "articles", "evidence", "claims", "deliveries"}
    assert data["deliveries"] == []  # no channels configured
    assert data["version"] == 1
    [feed] = data["feeds"]
    assert set(feed) == {"url", "name", "status", "new_items", "error", "warning"}
    assert (feed["status"], feed["new_items"], feed["name"]) == ("ok", 1, "Feed 0")
    [article] = data["articles"]
    assert {"url", "title", "publisher", "published", "entities"} <= set(article)
    assert article["title"] == "A story"
    assert article["status"] == "stored"
    assert article["published"] == "2024-10-24T10:00:00+00:00"

    again = run(env, "check", "--config", str(config), "--json")
    assert json.loads(again.stdout)["feeds"][0]["status"] == "not_modified"


def test_exit_codes_some_failed_and_all_failed(
    env: dict[str, str], tmp_path: Path, site: Callable[[str], str], http_server: LoopbackHTTPServer
) -> None:
    http_server.route("/down.xml", status=500, body="down")
    down = http_server.url("/down.xml")
    some = run(env, "check", "--config", str(write_config(tmp_path, [site("/f.xml"), down])))
    assert some.exit_code == 1
    assert "1 failed" in some.stdout
    assert "HTTP 500" in some.stdout or "500" in some.stdout

    only_down = run(env, "check", "--config", str(write_config(tmp_path, [down])))
    assert only_down.exit_code == 2


def test_check_a_local_feed_file(env: dict[str, str], tmp_path: Path) -> None:
    feed = tmp_path / "local.xml"
    feed.write_bytes(rss([Item("No link here", "", guid="x1")]))
    result = run(env, "check", "--config", str(write_config(tmp_path, [])), "--feed", str(feed))
    assert result.exit_code == 0, result.output
    assert "1 new items" in result.stdout
    # On-demand feeds are not added to the regular polling list.
    listed = json.loads(
        run(env, "feeds", "list", "--config", str(write_config(tmp_path, [])), "--json").stdout
    )
    assert [(f["source"], f["active"]) for f in listed] == [("check", False)]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[fetch]\nmax_redirect = 3\n",
            "monitor.toml:2: fetch.max_redirect: unknown key (did you mean 'max_redirects'?)",
        ),
        ('[fetch]\nread_timeout = "soon"\n', "fetch.read_timeout"),
        ('[[feeds]]\nurl = "file:///etc/passwd"\n', "unsupported scheme 'file'"),
        ("[fetch\n", "monitor.toml"),
    ],
)
def test_config_errors_are_one_clear_line_and_exit_2(
    env: dict[str, str], tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "monitor.toml"
    path.write_text(toml)
    result = run(env, "check", "--config", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_missing_explicit_config_is_an_error(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "config", "check", "--config", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "nope.toml" in result.stderr


def test_bundled_config_is_used_when_none_is_found(env: dict[str, str]) -> None:
    result = run(env, "config", "check")
    assert result.exit_code == 0
    assert "bundled example" in result.stdout
    assert "17 entities" in result.stdout and "10 claims" in result.stdout


def test_claims_list_keeps_each_claim_id_on_one_line_at_80_columns(env: dict[str, str]) -> None:
    """The bundled watchlist's longest id is 35 characters; the count columns must leave room."""
    result = run(dict(env, COLUMNS="80"), "claims", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "10 claims" and max(len(line) for line in lines) <= 80
    ids = [c["id"] for c in json.loads(run(env, "claims", "list", "--json").stdout)]
    assert "putin-asked-musk-no-starlink-taiwan" in ids
    assert set(ids) <= {cells[0] for cells in table_lines(result.stdout)}
    assert result.stdout.count("0 supports") == 10 and result.stdout.count("0 refutes") == 10


def test_feeds_list_shows_a_failing_feeds_url_and_error_whole_at_80_columns(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    http_server.route("/a-feed-with-a-rather-long-path/that-is-gone.xml", status=404, body=b"")
    url = http_server.url("/a-feed-with-a-rather-long-path/that-is-gone.xml")
    config = str(write_config(tmp_path, [url]))
    assert run(env, "check", "--config", config).exit_code != 0
    [feed] = json.loads(run(env, "feeds", "list", "--json", "--config", config).stdout)
    assert feed["health"] == "failing (1x)" and feed["last_error"]
    result = run(dict(env, COLUMNS="80"), "feeds", "list", "--config", config)
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    feed_column = joined_column(result.stdout, 0)
    assert "".join(url.split()) in feed_column
    assert "".join(feed["last_error"].split()) in feed_column
    cells = table_lines(result.stdout)
    assert (cells[0][1], cells[1][1]) == ("failing (1x)", "config")


def test_feed_credentials_appear_in_no_output_or_log(
    env: dict[str, str],
    tmp_path: Path,
    site: Callable[[str], str],
    http_server: LoopbackHTTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """RELIABILITY 66: a feed URL's password, for a feed that works and one that fails, is in
    no command's output (tables and JSON) and in no log record at any level."""
    secret = "s3cret-sentinel-55"
    http_server.route("/private/gone.xml", status=404, body=b"")
    urls = [site("/private/feed.xml"), http_server.url("/private/gone.xml")]
    with_password = [url.replace("http://", f"http://reader:{secret}@") for url in urls]
    config = str(write_config(tmp_path, with_password))
    caplog.set_level(logging.DEBUG)
    outputs = [
        run(env, "check", "--config", config, "--json"),
        run(env, "check", "--config", config),
        run(env, "feeds", "list", "--config", config, "--json"),
        run(dict(env, COLUMNS="200"), "feeds", "list", "--config", config),
    ]
    checked = json.loads(outputs[0].stdout)
    assert sorted(f["status"] for f in checked["feeds"]) == ["error", "ok"]
    assert len(checked["articles"]) == 1  # the working feed was read with its credentials
    for result in outputs:
        assert secret not in result.stdout and secret not in result.stderr
    leaked = [r.getMessage() for r in caplog.records if secret in r.getMessage()]
    assert leaked == []
    assert "http://***@127.0.0.1" in outputs[2].stdout  # shown, with its credentials masked


def test_config_show_redacts_the_database_password(env: dict[str, str], tmp_path: Path) -> None:
    secret_env = dict(env, MONITOR_DATABASE_URL="postgresql+psycopg://u:s3cr3t-sentinel@db/x")
    result = run(secret_env, "config", "show", "--config", str(write_config(tmp_path, [])))
    assert result.exit_code == 0
    assert "s3cr3t-sentinel" not in result.output
    assert "<redacted>" in result.output


def test_feeds_add_list_remove_and_opml_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    config = str(write_config(tmp_path, ["https://config.example/feed"]))
    assert (
        run(
            env, "feeds", "add", "https://a.example/rss", "--name", "A", "--config", config
        ).exit_code
        == 0
    )
    dup = run(env, "feeds", "add", "https://a.example/rss", "--config", config)
    assert dup.exit_code == 2 and "already exists" in dup.stderr
    bad = run(env, "feeds", "add", "javascript:alert(1)", "--config", config)
    assert bad.exit_code == 2

    opml = tmp_path / "in.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="B" xmlUrl="https://b.example/atom"/>'
        '<outline text="A again" xmlUrl="https://a.example/rss"/></body></opml>'
    )
    imported = run(env, "feeds", "import", str(opml), "--config", config)
    assert "imported 1 new feeds (1 already present)" in imported.stdout

    listed = json.loads(run(env, "feeds", "list", "--json", "--config", config).stdout)
    assert sorted(f["url"] for f in listed) == [
        "https://a.example/rss",
        "https://b.example/atom",
        "https://config.example/feed",
    ]
    assert {f["url"]: f["health"] for f in listed}["https://a.example/rss"] == "new"

    out = tmp_path / "out.opml"
    assert run(env, "feeds", "export", str(out), "--config", config).exit_code == 0
    assert out.read_text().count("<outline") == 3

    refused = run(env, "feeds", "remove", "https://config.example/feed", "--config", config)
    assert refused.exit_code == 2 and "remove it there" in refused.stderr
    assert run(env, "feeds", "remove", "https://b.example/atom", "--config", config).exit_code == 0
    missing = run(env, "feeds", "remove", "https://b.example/atom", "--config", config)
    assert missing.exit_code == 2 and "no such feed" in missing.stderr


@pytest.mark.postgres
def test_check_on_postgresql(
    env: dict[str, str],
    tmp_path: Path,
    site: Callable[[str], str],
    create_postgres_database: Callable[[str], str],
) -> None:
    pg_env = dict(env, MONITOR_DATABASE_URL=create_postgres_database("cli"))
    config = str(write_config(tmp_path, [site("/pg.xml")]))
    result = run(pg_env, "check", "--config", config, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["feeds"][0]["new_items"] == 1
    status = run(pg_env, "db", "status", "--config", config)
    assert "up to date" in status.stdout
    assert not (tmp_path / "data" / "monitor.db").exists()


def test_db_upgrade_creates_the_schema_and_reports_the_revision(
    env: dict[str, str], tmp_path: Path
) -> None:
    config = str(write_config(tmp_path, []))
    result = run(env, "db", "upgrade", "--config", config)
    assert result.exit_code == 0
    assert "is at revision" in result.stdout
    assert (tmp_path / "data" / "monitor.db").exists()
    assert "up to date" in run(env, "db", "status", "--config", config).stdout


WATCHLIST = """
[[entities]]
id = "musk"
name = "Elon Musk"
kind = "person"
aliases = ["Musk"]

[[entities]]
id = "putin"
name = "Vladimir Putin"
kind = "person"
aliases = ["Putin"]

[[claims]]
id = "contact"
text = "Elon Musk has been in regular contact with Vladimir Putin since late 2022"
entities = ["musk", "putin"]

"""


def test_claims_show_dates_an_article_from_2099_by_when_it_was_first_seen(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    support = (
        "Elon Musk has been in regular contact with Russian President Vladimir Putin since "
        "late 2022. The two men have spoken many times, officials confirmed on Monday.",
    )
    http_server.route("/s", body=article_page("Musk and Putin", support), content_type="text/html")
    item = Item("Musk and Putin", http_server.url("/s"), pub_date="Fri, 01 Jan 2099 09:00:00 GMT")
    http_server.route("/w.xml", body=rss([item]), content_type=RSS)
    config = str(write_config(tmp_path, [http_server.url("/w.xml")], extra=WATCHLIST))
    assert run(env, "check", "--config", config).exit_code == 0
    shown = json.loads(run(env, "claims", "show", "contact", "--json", "--config", config).stdout)
    [evidence] = shown["evidence"]
    assert evidence["published"].startswith("2099-01-01")  # stored as the feed gave it
    human = run(dict(env, COLUMNS="120"), "claims", "show", "contact", "--config", config)
    assert "2099" not in human.stdout
    assert evidence["first_seen"][:10] in human.stdout


def test_check_json_reports_evidence_and_claims_and_claims_commands_show_them(
    env: dict[str, str], tmp_path: Path, http_server: LoopbackHTTPServer
) -> None:
    support = (
        "Elon Musk has been in regular contact with Russian President Vladimir Putin since "
        "late 2022. The two men have spoken many times about business and geopolitics, "
        "officials confirmed on Monday. The Kremlin confirmed the calls.",
    )
    http_server.route("/s", body=article_page("Musk and Putin", support), content_type="text/html")
    http_server.route(
        "/w.xml",
        body=rss([Item("Musk and Putin", http_server.url("/s"))]),
        content_type=RSS,
    )
    config = str(write_config(tmp_path, [http_server.url("/w.xml")], extra=WATCHLIST))
    result = run(env, "check", "--config", config, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [evidence] = data["evidence"]
    assert set(evidence) == {"claim_id", "article_url", "stance", "confidence", "quote"}
    assert (evidence["claim_id"], evidence["stance"]) == ("contact", "supports")
    assert "regular contact" in evidence["quote"]
    assert data["articles"][0]["entities"] == ["musk", "putin"]
    [claim] = data["claims"]
    assert (claim["id"], claim["status"]) == ("contact", "open")
    assert claim["counts"] == {"supports": 1, "refutes": 0, "reports": 0}

    listed = json.loads(run(env, "claims", "list", "--json", "--config", config).stdout)
    assert [(c["id"], c["counts"]["supports"]) for c in listed] == [("contact", 1)]
    shown = json.loads(run(env, "claims", "show", "contact", "--json", "--config", config).stdout)
    assert [e["stance"] for e in shown["evidence"]] == ["supports"]
    assert shown["evidence"][0]["publisher"] == "127.0.0.1"
    assert [e["kind"] for e in shown["events"]] == ["new_supporting_source"]
    human = run(env, "claims", "show", "contact", "--config", config)
    assert "regular contact" in human.stdout and "supports" in human.stdout
    missing = run(env, "claims", "show", "nope", "--config", config)
    assert missing.exit_code == 2 and "no such claim: nope\n" in missing.stderr
    typo = run(env, "claims", "show", "contract", "--config", config)
    assert typo.exit_code == 2 and "no such claim: contract (did you mean contact?)" in typo.stderr
