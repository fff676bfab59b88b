"""Feeds on loopback all the way to delivered digests: a real SMTP server, a real signed-webhook
receiver, the real CLI; faults on the way (RELIABILITY rows 43, 46, 48, 49, 56)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from tests.fixtures_cli import joined_column, table_lines
from tests.fixtures_http import LoopbackHTTPServer
from tests.pipeline_world import Item, article_page, rss
from tests.smtp_peers import RecordingHandler, refusing_port, smtp_server
from tests.stories import CONFIRMATION, DENIAL, SUPPORT, TESLA
from tests.webhook_receiver import Reply, WebhookReceiver

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "config" / "monitor.toml").read_text(encoding="utf-8")
WATCHLIST = EXAMPLE[EXAMPLE.index("\n[[entities]]\n") :]  # the bundled entities and claims
CONTACT = "musk-putin-regular-contact"
SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
HOSTILE_TITLE = "Musk <script>alert(1)</script> and Putin\r\nBcc: victim@example.org"


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


class Newsroom:
    """A feed on the loopback server whose stories can be replaced between polls."""

    def __init__(self, server: LoopbackHTTPServer) -> None:
        self.server = server
        self.published = 0

    def publish(self, *stories: tuple[str, tuple[str, ...]]) -> None:
        items = []
        for title, paragraphs in stories:
            self.published += 1
            path = f"/story-{self.published}"
            self.server.route(path, body=article_page(title, paragraphs), content_type="text/html")
            items.append(Item(title, self.server.url(path)))
        self.server.route("/feed.xml", body=rss(items), content_type="application/rss+xml")


@pytest.fixture
def newsroom(http_server: LoopbackHTTPServer) -> Newsroom:
    room = Newsroom(http_server)
    room.publish(("Tesla deliveries fall", TESLA))
    return room


def write_config(tmp_path: Path, newsroom: Newsroom, channels: str, extra: str = "") -> Path:
    path = tmp_path / "monitor.toml"
    settings = (
        '[fetch]\nallow_private = ["127.0.0.1/32"]\nper_host_spacing = 0\n'
        'feed_deadline = "5s"\npage_deadline = "5s"\n'
        '[extract]\nworkers = 1\n[delivery]\nlease = "1s"\n'
    )
    feed = f'[[feeds]]\nurl = "{newsroom.server.url("/feed.xml")}"\n\n'
    path.write_text(settings + extra + "\n" + feed + channels + WATCHLIST, encoding="utf-8")
    return path


def smtp_block(port: int) -> str:
    return f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'


def email_channel(**extra: str) -> str:
    lines = "".join(f"{key} = {value}\n" for key, value in extra.items())
    return f'[[channels]]\nid = "desk"\ntype = "email"\nto = ["desk@example.org"]\n{lines}\n'


def hook_channel(url: str, **extra: str) -> str:
    lines = "".join(f"{key} = {value}\n" for key, value in extra.items())
    return (
        f'[[channels]]\nid = "hook"\ntype = "webhook"\nurl = "{url}"\nsecret = "{SECRET}"\n'
        f"allow_private = true\n{lines}\n"
    )


def news_arrives(env: dict[str, str], config: Path, newsroom: Newsroom, *check_args: str) -> Result:
    """Poll the backlog (no alert), then poll again after three stories on the claims appear."""
    first = run(env, "check", "--config", str(config), *check_args)
    assert first.exit_code == 0, first.output
    newsroom.publish(
        ("Tesla deliveries fall", TESLA),
        (HOSTILE_TITLE, SUPPORT),
        ("Kremlin confirms talks", CONFIRMATION),
    )
    result = run(env, "check", "--config", str(config), *check_args)
    assert result.exit_code == 0, result.output
    return result


def deliveries(env: dict[str, str], config: Path) -> list[dict[str, Any]]:
    result = run(env, "deliveries", "list", "--config", str(config), "--json")
    assert result.exit_code == 0, result.output
    listed: list[dict[str, Any]] = json.loads(result.stdout)["deliveries"]
    return listed


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_a_feed_on_loopback_ends_in_one_email_and_one_signed_webhook(
    env: dict[str, str], tmp_path: Path, newsroom: Newsroom
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as smtp, WebhookReceiver(SECRET, [Reply(204)]) as receiver:
        channels = email_channel() + hook_channel(receiver.url("/hooks/t0ken"))
        config = write_config(tmp_path, newsroom, channels, smtp_block(smtp.port))
        first = run(env, "check", "--config", str(config), "--json")
        assert first.exit_code == 0, first.output
        assert json.loads(first.stdout)["deliveries"] == []  # the backlog raises no alert
        newsroom.publish(
            ("Tesla deliveries fall", TESLA),
            (HOSTILE_TITLE, SUPPORT),
            ("Kremlin confirms talks", CONFIRMATION),
        )
        result = run(env, "check", "--config", str(config), "--json")
        sent = json.loads(result.stdout)["deliveries"]
        assert sorted((d["channel"], d["result"]) for d in sent) == [
            ("desk", "sent"),
            ("hook", "sent"),
        ]
        assert run(env, "digest", "--send", "--config", str(config)).exit_code == 0
    [mail] = handler.received  # exactly once, and nothing for the backlog
    message = mail.parsed()
    assert mail.rcpt_tos == ["desk@example.org"]
    assert "Bcc" not in message and "\n" not in str(message["Subject"])
    text, html = parts(message)
    assert "Elon Musk has been in regular contact" in text
    assert "<script" not in html and "&lt;script&gt;" in html
    [request] = receiver.requests
    assert request.verified is True
    body = json.loads(request.body)
    assert body["type"] == "monitor.digest" and body["version"] == 1
    assert CONTACT in [claim["id"] for claim in body["data"]["claims"]]
    assert {d["channel"]: d["status"] for d in deliveries(env, config)} == {
        "desk": "sent",
        "hook": "sent",
    }
    assert request.header("webhook-id") == body["data"]["delivery_id"]
    assert message["Message-ID"].startswith(f"<{message['X-Monitor-Delivery']}@")


def test_smtp_down_then_up_delivers_everything_once_in_order(
    env: dict[str, str], tmp_path: Path, newsroom: Newsroom
) -> None:
    handler = RecordingHandler()
    with refusing_port() as port:
        config = write_config(tmp_path, newsroom, email_channel(retry='["0.1s"]'), smtp_block(port))
        result = news_arrives(env, config, newsroom, "--json")  # polling goes on: exit 0
        [attempt] = json.loads(result.stdout)["deliveries"]
        assert attempt["result"] == "retry" and "refused" in attempt["error"]
        newsroom.publish(("Tesla deliveries fall", TESLA), ("Kremlin denies contact", DENIAL))
        time.sleep(0.15)
        assert run(env, "check", "--config", str(config)).exit_code == 0
        listed = deliveries(env, config)
        assert [d["status"] for d in listed] == ["pending", "pending"]
        assert all(d["last_error"] for d in listed)
        health = run(env, "deliveries", "--config", str(config))
        assert "degraded since" in health.stdout
    time.sleep(0.15)
    with smtp_server(handler, port=port):
        sent = run(env, "digest", "--send", "--config", str(config))
        assert sent.exit_code == 0, sent.output
        assert run(env, "digest", "--send", "--config", str(config)).exit_code == 0
    oldest_first = [d["id"] for d in reversed(deliveries(env, config))]
    assert [m.parsed()["X-Monitor-Delivery"] for m in handler.received] == oldest_first
    assert {d["status"] for d in deliveries(env, config)} == {"sent"}


def test_webhook_500_500_200_is_one_delivery_in_three_attempts_with_one_id(
    env: dict[str, str], tmp_path: Path, newsroom: Newsroom
) -> None:
    script = [Reply(500), Reply(500), Reply(200)]
    with WebhookReceiver(SECRET, script) as receiver:
        channels = hook_channel(receiver.url("/hook"), retry='["0.1s"]')
        config = write_config(tmp_path, newsroom, channels)
        news_arrives(env, config, newsroom)
        for _ in range(3):
            time.sleep(0.15)
            run(env, "digest", "--send", "--config", str(config))
    assert [r.verified for r in receiver.requests] == [True, True, True]
    assert len({r.header("webhook-id") for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    [delivery] = deliveries(env, config)
    assert (delivery["status"], delivery["attempts"]) == ("sent", 3)


def test_webhook_gone_disables_the_channel_and_the_user_hears_by_email(
    env: dict[str, str], tmp_path: Path, newsroom: Newsroom
) -> None:
    handler = RecordingHandler()
    with smtp_server(handler) as smtp, WebhookReceiver(SECRET, [Reply(410)]) as receiver:
        channels = hook_channel(receiver.url("/hook")) + email_channel(events='["status"]')
        config = write_config(tmp_path, newsroom, channels, smtp_block(smtp.port))
        news_arrives(env, config, newsroom)
        dead = [d for d in deliveries(env, config) if d["channel"] == "hook"]
        assert [(d["status"], "410" in d["last_error"]) for d in dead] == [("dead", True)]
        listing = run(dict(env, COLUMNS="80"), "deliveries", "--config", str(config))
        assert "hook (webhook): disabled since" in listing.stdout
        rows = table_lines(listing.stdout)
        at = [cells[0] for cells in rows].index(dead[0]["id"])  # whole, to copy for `retry`
        assert (rows[at][1], rows[at + 1][1]) == ("dead", "1 attempt")
        column = joined_column(listing.stdout, 0)
        assert "".join(dead[0]["last_error"].split()) in column
        assert run(env, "digest", "--send", "--config", str(config)).exit_code == 0
        notices = [m.parsed() for m in handler.received if "disabled" in m.parsed()["Subject"]]
        assert len(notices) == 1
        assert "monitor deliveries enable hook" in parts(notices[0])[0]
        assert len(receiver.requests) == 1  # nothing more is posted to a disabled channel
        enabled = run(env, "deliveries", "enable", "hook", "--config", str(config))
        assert enabled.exit_code == 0
        assert "hook (webhook): ok" in run(env, "deliveries", "--config", str(config)).stdout


KILL_AFTER_SEND = """
import os, signal, sys
from monitor.notify import webhook

original = webhook.WebhookNotifier.send

async def send_then_die(self, attempt):
    outcome = await original(self, attempt)
    os.kill(os.getpid(), signal.SIGKILL)  # the receiver has it; the mark is never written
    return outcome

webhook.WebhookNotifier.send = send_then_die
from monitor.cli import main
sys.argv = ["monitor", "digest", "--send", "--config", sys.argv[1]]
main()
"""


def test_killed_between_send_and_mark_resends_once_with_the_same_id(
    env: dict[str, str], tmp_path: Path, newsroom: Newsroom
) -> None:
    with WebhookReceiver(SECRET, [Reply(200)]) as receiver:
        config = write_config(tmp_path, newsroom, hook_channel(receiver.url("/hook")))
        news_arrives(env, config, newsroom, "--no-send")
        assert receiver.requests == []  # --no-send: found, stored, not sent
        child = subprocess.run(
            [sys.executable, "-c", KILL_AFTER_SEND, str(config)],
            env={**os.environ, **env},
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr.decode()
        assert len(receiver.requests) == 1
        [delivery] = deliveries(env, config)
        assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
        time.sleep(1.1)  # the dead worker's lease runs out
        assert run(env, "digest", "--send", "--config", str(config)).exit_code == 0
        assert run(env, "digest", "--send", "--config", str(config)).exit_code == 0
    first, second = receiver.requests  # one duplicate, which carries the same id
    assert first.header("webhook-id") == second.header("webhook-id")
    assert first.body == second.body
    [delivery] = deliveries(env, config)
    assert (delivery["status"], delivery["attempts"]) == ("sent", 2)


def test_dry_run_shows_the_digest_and_sends_nothing(
    env: dict[str, str], tmp_path: Path, newsroom: Newsroom
) -> None:
    with WebhookReceiver(SECRET, [Reply(200)]) as receiver:
        config = write_config(tmp_path, newsroom, hook_channel(receiver.url("/hook")))
        news_arrives(env, config, newsroom, "--no-send")
        shown = run(env, "digest", "--dry-run", "--config", str(config), "--html", "out")
        assert shown.exit_code == 0, shown.output
        assert "hook (webhook, immediate): due now" in shown.stdout
        assert "Subject: monitor:" in shown.stdout
        assert "Elon Musk has been in regular contact" in shown.stdout
        html = (tmp_path / "out" / "hook.html").read_text(encoding="utf-8")
        assert "<script" not in html
        preview = json.loads(run(env, "digest", "--config", str(config), "--json").stdout)
        [digest] = preview["digests"]
        assert digest["due"] is True and digest["digest"]["claims"]
        assert receiver.requests == []
        assert run(env, "digest", "--send", "--config", str(config)).exit_code == 0
        assert len(receiver.requests) == 1
        again = run(env, "digest", "--dry-run", "--config", str(config))
        assert "nothing to send" in again.stderr


def test_retry_by_hand_sends_a_dead_delivery(
    env: dict[str, str], tmp_path: Path, newsroom: Newsroom
) -> None:
    with WebhookReceiver(SECRET, [Reply(400), Reply(200)]) as receiver:
        config = write_config(tmp_path, newsroom, hook_channel(receiver.url("/hook")))
        news_arrives(env, config, newsroom)
        [dead] = deliveries(env, config)
        assert dead["status"] == "dead" and "400" in dead["last_error"]
        missing = run(env, "deliveries", "retry", "msg_nosuch", "--config", str(config))
        assert missing.exit_code == 2
        queued = run(env, "deliveries", "retry", dead["id"], "--config", str(config))
        assert queued.exit_code == 0
        assert run(env, "digest", "--send", "--config", str(config)).exit_code == 0
    assert [r.header("webhook-id") for r in receiver.requests] == [dead["id"]] * 2
    assert deliveries(env, config)[0]["status"] == "sent"


def test_digest_without_channels_says_so(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text("", encoding="utf-8")
    result = run(env, "digest", "--config", str(config))
    assert result.exit_code == 2 and "no channels configured" in result.stderr


def test_channel_secrets_never_reach_the_database_or_the_output(
    env: dict[str, str], tmp_path: Path, newsroom: Newsroom
) -> None:
    """RELIABILITY row 65: webhook URL tokens and the SMTP password stay out of rows and logs."""
    token, password = "SENTINEL-hook-token-93f1", "SENTINEL-smtp-pw-5c2e"
    with (
        WebhookReceiver(SECRET, [Reply(500)]) as receiver,
        refusing_port() as port,
    ):
        channels = hook_channel(receiver.url(f"/hooks/{token}")) + email_channel()
        smtp = smtp_block(port).replace('security = "none"', 'security = "starttls"')
        smtp += f'username = "monitor"\npassword = "{password}"\n'
        config = write_config(tmp_path, newsroom, channels, smtp)
        config.chmod(0o600)
        result = news_arrives(env, config, newsroom, "--json")
        listing = run(env, "deliveries", "--config", str(config), "--json")
        shown = run(env, "config", "show", "--config", str(config))
    assert len(receiver.requests) == 1
    assert {d["result"] for d in json.loads(result.stdout)["deliveries"]} == {"retry"}
    database = next((tmp_path / "data").glob("*.db")).read_bytes()
    wal = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("*.db-wal"))
    for text in (result.output, listing.output, shown.output):
        assert token not in text and password not in text
    for blob in (database, wal):
        assert token.encode() not in blob and password.encode() not in blob
