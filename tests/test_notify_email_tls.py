"""EmailNotifier over TLS with trustme certificates: STARTTLS, implicit TLS, refusals."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from monitor.channels import SmtpSettings
from monitor.notify.base import SendOutcome, Verdict
from monitor.notify.email import EmailNotifier
from tests.smtp_peers import (
    LOOPBACK,
    SENDER,
    LoopbackController,
    RecordingAuthenticator,
    RecordingHandler,
    compose_digest_email,
    digest_attempt,
    server_tls_context,
    smtp_server,
)

USERNAME = "monitor"
PASSWORD = "s3cret-Pa55word"  # must never show up in an outcome
RECIPIENT = "alice@example.test"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def loopback_tls(ca: trustme.CA) -> ssl.SSLContext:
    return server_tls_context(ca, LOOPBACK, "localhost")


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def authenticator() -> RecordingAuthenticator:
    return RecordingAuthenticator(USERNAME, PASSWORD)


def serve(handler: RecordingHandler, authenticator: RecordingAuthenticator, **kwargs: Any) -> Any:
    return smtp_server(handler, authenticator=authenticator, **kwargs)


@pytest.fixture
def starttls_server(
    handler: RecordingHandler,
    authenticator: RecordingAuthenticator,
    loopback_tls: ssl.SSLContext,
) -> Iterator[LoopbackController]:
    with serve(
        handler,
        authenticator,
        tls_context=loopback_tls,
        require_starttls=True,
        auth_require_tls=True,
    ) as controller:
        yield controller


def tls_smtp(port: int, security: str, **overrides: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": LOOPBACK,
        "port": port,
        "security": security,
        "username": USERNAME,
        "password": PASSWORD,
        "sender": SENDER,
        "timeout": 5.0,
        "data_timeout": 5.0,
    }
    values.update(overrides)
    return SmtpSettings.model_validate(values)


def send(smtp: SmtpSettings) -> SendOutcome:
    email_notifier = EmailNotifier("mail", smtp, (RECIPIENT,), compose_digest_email)

    async def go() -> SendOutcome:
        try:
            return await email_notifier.send(digest_attempt())
        finally:
            await email_notifier.aclose()

    outcome = asyncio.run(go())
    assert PASSWORD not in (outcome.error or "")
    return outcome


def test_starttls_with_login_delivers(
    starttls_server: LoopbackController,
    handler: RecordingHandler,
    authenticator: RecordingAuthenticator,
    ca_file: str,
) -> None:
    outcome = send(tls_smtp(starttls_server.port, "starttls", ca_file=ca_file))

    assert outcome == SendOutcome.sent()
    assert authenticator.logins == [(USERNAME, True)]
    [received] = handler.received
    assert received.over_tls
    assert received.parsed()["Message-ID"] == "<dlv-1@monitor.example.test>"


def test_implicit_tls_with_login_delivers(
    handler: RecordingHandler,
    authenticator: RecordingAuthenticator,
    loopback_tls: ssl.SSLContext,
    ca_file: str,
) -> None:
    # aiosmtpd only counts STARTTLS as TLS for AUTH, so let it offer AUTH on this TLS port.
    with serve(handler, authenticator, ssl_context=loopback_tls, auth_require_tls=False) as server:
        outcome = send(tls_smtp(server.port, "tls", ca_file=ca_file))

    assert outcome == SendOutcome.sent()
    assert authenticator.logins == [(USERNAME, True)]
    assert [received.over_tls for received in handler.received] == [True]


def test_wrong_password_is_dead_without_the_password(
    starttls_server: LoopbackController, handler: RecordingHandler, ca_file: str
) -> None:
    outcome = send(tls_smtp(starttls_server.port, "starttls", ca_file=ca_file, password="nope"))

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None and "535" in outcome.error
    assert "nope" not in outcome.error
    assert handler.mail_froms == []


def test_stripped_starttls_is_refused_before_login_or_mail(
    handler: RecordingHandler, authenticator: RecordingAuthenticator, ca_file: str
) -> None:
    # A server (or a man in the middle) that drops STARTTLS but would take AUTH in clear.
    with serve(handler, authenticator, auth_require_tls=False) as server:
        outcome = send(tls_smtp(server.port, "starttls", ca_file=ca_file))

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None
    assert outcome.error.endswith(
        "server does not offer STARTTLS; refusing to send credentials or mail in clear"
    )
    assert authenticator.logins == []
    assert handler.mail_froms == []
    assert handler.received == []


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_certificate_from_an_untrusted_ca_is_dead(
    handler: RecordingHandler,
    authenticator: RecordingAuthenticator,
    loopback_tls: ssl.SSLContext,
    security: str,
) -> None:
    tls: dict[str, Any] = (
        {"tls_context": loopback_tls, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": loopback_tls, "auth_require_tls": False}
    )
    with serve(handler, authenticator, **tls) as server:
        outcome = send(tls_smtp(server.port, security))  # no ca_file: system CAs only

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None
    assert "certificate verification failed" in outcome.error
    assert authenticator.logins == []
    assert handler.received == []


def test_certificate_for_another_host_is_dead(
    ca: trustme.CA,
    ca_file: str,
    handler: RecordingHandler,
    authenticator: RecordingAuthenticator,
) -> None:
    elsewhere = server_tls_context(ca, "mail.example.test")
    with serve(handler, authenticator, tls_context=elsewhere, require_starttls=True) as server:
        outcome = send(tls_smtp(server.port, "starttls", ca_file=ca_file))

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None
    assert "certificate verification failed" in outcome.error
    assert "mismatch" in outcome.error
    assert authenticator.logins == []


def test_implicit_tls_against_a_plain_server_is_dead(
    handler: RecordingHandler, authenticator: RecordingAuthenticator, ca_file: str
) -> None:
    with serve(handler, authenticator) as server:
        outcome = send(tls_smtp(server.port, "tls", ca_file=ca_file))

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None and "TLS failed" in outcome.error
    assert handler.received == []


def test_unreadable_ca_file_is_dead(
    starttls_server: LoopbackController, handler: RecordingHandler, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.pem"

    outcome = send(tls_smtp(starttls_server.port, "starttls", ca_file=str(missing)))

    assert outcome.verdict is Verdict.DEAD
    assert outcome.error is not None and f"cannot load smtp.ca_file {missing}" in outcome.error
    assert handler.mail_froms == []
