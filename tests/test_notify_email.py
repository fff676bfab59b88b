"""EmailNotifier against real SMTP peers on loopback: delivery, refusals, outages, tarpits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from monitor.channels import SmtpSettings
from monitor.notify.base import Attempt, SendOutcome, Verdict
from monitor.notify.email import EmailNotifier
from tests.smtp_peers import (
    LOOPBACK,
    SENDER,
    LoopbackController,
    RecordingHandler,
    Tarpit,
    compose_digest_email,
    digest_attempt,
    refusing_port,
    smtp_server,
)

ALICE = "alice@example.test"
BOB = "bob@example.test"


def plain_smtp(port: int, **overrides: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": LOOPBACK,
        "port": port,
        "security": "none",
        "sender": SENDER,
        "timeout": 5.0,
        "data_timeout": 5.0,
    }
    values.update(overrides)
    return SmtpSettings.model_validate(values)


def notifier(smtp: SmtpSettings, recipients: tuple[str, ...] = (ALICE,)) -> EmailNotifier:
    return EmailNotifier("mail", smtp, recipients, compose_digest_email)


def send(email_notifier: EmailNotifier, attempt: Attempt | None = None) -> SendOutcome:
    async def go() -> SendOutcome:
        try:
            return await email_notifier.send(attempt or digest_attempt())
        finally:
            await email_notifier.aclose()

    return asyncio.run(go())


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def server(handler: RecordingHandler) -> Iterator[LoopbackController]:
    with smtp_server(handler) as controller:
        yield controller


def test_delivers_both_parts_with_headers_and_message_id(
    server: LoopbackController, handler: RecordingHandler
) -> None:
    outcome = send(notifier(plain_smtp(server.port), (ALICE, BOB)))

    assert outcome == SendOutcome.sent()
    [received] = handler.received
    assert received.mail_from == "monitor@example.test"
    assert received.rcpt_tos == [ALICE, BOB]
    message = received.parsed()
    assert message["Message-ID"] == "<dlv-1@monitor.example.test>"
    assert message["Subject"] == "Digest dlv-1"
    assert message["From"] == SENDER
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    # The lone "." line survived the SMTP dot-stuffing both ways.
    body = text.get_content().replace("\r\n", "\n")  # as received: wire line endings
    assert body == "Claim status changed ✓\n.\nA line that is a lone dot above.\n"
    assert "Claim status changed &#10003;" in html.get_content()


def test_server_down_is_retried_then_delivered_once(handler: RecordingHandler) -> None:
    with refusing_port() as port:
        down = send(notifier(plain_smtp(port)))
    with smtp_server(handler, port=port):
        up = send(notifier(plain_smtp(port)))

    assert down.verdict is Verdict.RETRY
    assert down.error is not None and "connection refused" in down.error
    assert f"{LOOPBACK}:{port}" in down.error
    assert up == SendOutcome.sent()
    assert len(handler.received) == 1


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("550 5.1.1 no such user", Verdict.DEAD),
        ("553 5.1.3 mailbox name not allowed", Verdict.DEAD),
        ("554 5.7.1 relay access denied", Verdict.DEAD),
        ("450 4.2.1 mailbox busy", Verdict.RETRY),
        ("451 4.3.0 local error", Verdict.RETRY),
        ("452 4.5.3 too many recipients", Verdict.RETRY),
        ("421 4.3.2 shutting down", Verdict.RETRY),
    ],
)
def test_refused_recipient_is_classified_by_reply_code(
    handler: RecordingHandler, server: LoopbackController, reply: str, verdict: Verdict
) -> None:
    handler.refuse[BOB] = reply

    outcome = send(notifier(plain_smtp(server.port), (BOB,)))

    assert outcome.verdict is verdict
    assert outcome.error is not None
    assert reply in outcome.error
    if verdict is Verdict.DEAD:
        assert BOB in outcome.error
    assert handler.received == []


def test_some_recipients_refused_is_sent_with_a_note(
    handler: RecordingHandler, server: LoopbackController
) -> None:
    handler.refuse[BOB] = "550 5.1.1 no such user"

    outcome = send(notifier(plain_smtp(server.port), (ALICE, BOB)))

    assert outcome.verdict is Verdict.SENT
    assert outcome.error is not None
    assert f"{BOB} (550 5.1.1 no such user)" in outcome.error
    assert ALICE not in outcome.error
    [received] = handler.received
    assert received.rcpt_tos == [ALICE]


def test_all_refused_with_one_permanent_is_dead_naming_it(
    handler: RecordingHandler, server: LoopbackController
) -> None:
    handler.refuse.update({ALICE: "450 4.2.1 mailbox busy", BOB: "550 5.1.1 no such user"})

    outcome = send(notifier(plain_smtp(server.port), (ALICE, BOB)))

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None and f"{BOB} (550 5.1.1 no such user)" in outcome.error
    assert handler.received == []


@pytest.mark.timeout(10)
def test_tarpit_without_greeting_times_out_without_blocking_the_loop() -> None:
    order: list[str] = []

    async def go(port: int) -> SendOutcome:
        async def tick() -> None:
            await asyncio.sleep(0.05)
            order.append("loop ran")

        async def attempt() -> SendOutcome:
            outcome = await notifier(plain_smtp(port, timeout=0.5)).send(digest_attempt())
            order.append("send returned")
            return outcome

        outcome, _ = await asyncio.gather(attempt(), tick())
        return outcome

    with Tarpit() as tarpit:
        outcome = asyncio.run(go(tarpit.port))

    assert outcome.verdict is Verdict.RETRY
    assert outcome.error is not None
    assert "timed out after 0.5 s while connecting or waiting for the greeting" in outcome.error
    assert order == ["loop ran", "send returned"]


@pytest.mark.timeout(10)
def test_stall_after_data_times_out_after_data_timeout(
    handler: RecordingHandler, server: LoopbackController
) -> None:
    handler.data_mode = "stall"

    outcome = send(notifier(plain_smtp(server.port, timeout=5.0, data_timeout=0.3)))

    assert outcome.verdict is Verdict.RETRY
    assert outcome.error is not None
    assert "timed out after 0.3 s after the message data" in outcome.error
    assert len(handler.received) == 1  # the data did arrive; only the reply never came


def test_drop_after_final_dot_is_retried_and_the_copy_keeps_its_message_id(
    handler: RecordingHandler, server: LoopbackController
) -> None:
    handler.data_mode = "drop"
    email_notifier = notifier(plain_smtp(server.port))

    dropped = send(email_notifier, digest_attempt("dlv-7", attempt=1))
    handler.data_mode = "accept"
    delivered = send(email_notifier, digest_attempt("dlv-7", attempt=2))

    assert dropped.verdict is Verdict.RETRY
    assert dropped.error is not None
    assert "closed the connection after the message data" in dropped.error
    assert delivered == SendOutcome.sent()
    ids = [received.parsed()["Message-ID"] for received in handler.received]
    assert ids == ["<dlv-7@monitor.example.test>"] * 2


def test_a_message_that_cannot_be_composed_is_dead(
    handler: RecordingHandler, server: LoopbackController
) -> None:
    def broken(attempt: Attempt) -> None:
        raise KeyError("template 'digest.html' missing")

    email_notifier = EmailNotifier("mail", plain_smtp(server.port), (ALICE,), broken)  # type: ignore[arg-type]
    outcome = send(email_notifier)

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None and "cannot compose the e-mail: KeyError" in outcome.error
    assert handler.mail_froms == []


def test_refuses_to_log_in_over_a_clear_connection(
    handler: RecordingHandler, server: LoopbackController
) -> None:
    outcome = send(notifier(plain_smtp(server.port, username="monitor")))

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None and "clear connection" in outcome.error
    assert handler.mail_froms == []
