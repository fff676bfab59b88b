"""Apprise delivery: a json:// URL posting to a real loopback receiver."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from datetime import UTC, datetime

import pytest

from monitor.digest.model import Digest
from monitor.errors import ConfigError
from monitor.notify.apprise_channel import AppriseNotifier, _secret_parts, scrub
from monitor.notify.base import Attempt, SendOutcome, Verdict
from tests.webhook_receiver import Reply, WebhookReceiver

TOKEN = "PathToken-sentinel-91c2"
DIGEST = Digest("dlv-7", "chat", datetime(2025, 3, 1, 8, 0, tzinfo=UTC), event_count=2)


def compose(attempt: Attempt) -> tuple[str, str]:
    return (
        f"monitor: {attempt.digest.event_count} updates",
        f"delivery {attempt.digest.delivery_id}",
    )


def send(notifier: AppriseNotifier) -> SendOutcome:
    async def go() -> SendOutcome:
        try:
            return await notifier.send(Attempt(DIGEST, 1, datetime.now(UTC)))
        finally:
            await notifier.aclose()

    return asyncio.run(go())


def hook_url(receiver: WebhookReceiver) -> str:
    return f"json://127.0.0.1:{receiver.port}/hook/{TOKEN}"


def test_delivered_to_the_receiver() -> None:
    with WebhookReceiver() as receiver:
        outcome = send(AppriseNotifier("chat", hook_url(receiver), compose))
    assert outcome == SendOutcome.sent()
    (request,) = receiver.requests
    assert request.method == "POST" and request.path == f"/hook/{TOKEN}"
    assert request.verified is None  # apprise does not sign
    payload = json.loads(request.body)
    assert payload["title"] == "monitor: 2 updates"
    assert payload["message"] == "delivery dlv-7"


HOSTILE = "Read [this](javascript:alert(1)) @everyone <!channel> <img src=x onerror=alert(1)>"
SIGNED = "\nmail desk@example.org"


def hostile(attempt: Attempt) -> tuple[str, str]:
    return "monitor: @here", HOSTILE + SIGNED


def visible(text: str) -> str:
    """What a reader sees: Markdown's backslash escapes and the zero-width spaces are not shown."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u200b", "")


@pytest.mark.parametrize("destination", ["markdown", "html", "text"])
def test_feed_text_reaches_a_chat_as_text_that_pings_no_one(destination: str) -> None:
    """A Markdown link or a mention in an article reaches a Discord, Slack or Mattermost
    channel escaped for its format (`?format=` sets the json plugin's), every mention broken."""
    with WebhookReceiver() as receiver:
        url = f"{hook_url(receiver)}?format={destination}"
        outcome = send(AppriseNotifier("chat", url, hostile))
    assert outcome == SendOutcome.sent()
    payload = json.loads(receiver.requests[0].body)
    message, title = payload["message"], payload["title"]
    for mention in ("@everyone", "<!channel>", "@here", "desk@example"):
        assert mention not in message and mention not in title
    assert "@\u200beveryone" in message and "\u200b!channel" in message.replace("\\", "")
    assert title == "monitor: @\u200bhere"
    if destination == "markdown":  # the link and the tag arrive as literal text
        assert "](javascript:" not in message and "\\]\\(javascript:" in message
        assert "src=x" not in message and "onerror\\=alert\\(1\\)\\>" in message
        assert visible(message) == HOSTILE + SIGNED
    elif destination == "html":
        assert "<img" not in message and "&lt;img" in message
    else:
        assert message.replace("\u200b", "") == HOSTILE + SIGNED


@pytest.mark.parametrize("status", [500, 404])
def test_refusal_is_retried_without_the_url(status: int) -> None:
    with WebhookReceiver(script=[Reply(status)]) as receiver:
        outcome = send(AppriseNotifier("chat", hook_url(receiver), compose))
        port = str(receiver.port)
    assert outcome.verdict is Verdict.RETRY
    assert outcome.error is not None
    assert outcome.error.startswith("apprise could not deliver (")
    assert f"error={status}" in outcome.error
    assert TOKEN not in outcome.error and port not in outcome.error and "\n" not in outcome.error
    assert len(receiver.requests) == 1


def test_unreachable_endpoint_is_retried_without_the_url() -> None:
    with WebhookReceiver() as receiver:
        url = hook_url(receiver)
        port = str(receiver.port)
    outcome = send(AppriseNotifier("chat", url, compose))
    assert outcome.verdict is Verdict.RETRY
    assert outcome.error is not None and "connection error" in outcome.error.lower()
    assert TOKEN not in outcome.error and port not in outcome.error
    assert "127.0.0.1" not in outcome.error  # an apprise "host" is often a token


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("nosuch://x", "nosuch://x"),
        # apprise masks token-like pieces when it logs a bad URL, but not plain words:
        ("nosuch://host.test/plainwordsecret/x", "plainwordsecret"),
        ("slack://", "slack://"),
    ],
)
def test_unknown_url_is_a_config_error_naming_the_channel(
    url: str, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="apprise")
    with pytest.raises(ConfigError, match="channel 'chat': apprise does not understand") as raised:
        AppriseNotifier("chat", url, compose)
    assert secret not in str(raised.value)
    assert secret not in caplog.text  # apprise's own complaint about the URL is dropped


def test_missing_apprise_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # `import apprise` now raises ImportError
    with pytest.raises(ConfigError, match=r"pip install 'monitor\[apprise\]'"):
        AppriseNotifier("chat", "json://127.0.0.1/hook", compose)


@pytest.mark.parametrize(
    ("url", "line"),
    [
        (
            f"tgram://{TOKEN}/4242424242",
            f"Failed to send Telegram notification to 4242424242 with {TOKEN}.",
        ),
        (f"json://user:Pa55-word@host.test:8080/{TOKEN}", f"error posting to {TOKEN}?x=Pa55-word"),
        ("json://host.test/a", "failed: see https://other.example/secret-path for details"),
    ],
)
def test_scrub_removes_every_url_piece(url: str, line: str) -> None:
    cleaned = scrub(line + "\n second line", _secret_parts(url))
    for secret in (TOKEN, "4242424242", "Pa55-word", "secret-path"):
        assert secret not in cleaned
    assert "\n" not in cleaned
