"""Real SMTP peers on loopback for the e-mail notifier tests: aiosmtpd and a tarpit. Network.

Every server binds an ephemeral port on 127.0.0.1 and is meant to be used as a context manager
(or from a fixture), so it is stopped when the test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from monitor.digest.model import Digest
from monitor.notify.base import Attempt

LOOPBACK = "127.0.0.1"
DataMode = Literal["accept", "drop", "stall"]


def is_tls(server: SMTP, session: Session) -> bool:
    """Whether this SMTP session runs over TLS, by STARTTLS or implicitly."""
    if session.ssl is not None:
        return True
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


@dataclass
class Received:
    """One message the server stored: the envelope, the raw data and whether TLS carried it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    over_tls: bool

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class RecordingHandler:
    """aiosmtpd handler that records what it gets and can refuse recipients or misbehave.

    `refuse` maps a recipient to the reply its RCPT gets. `data_mode` says what happens after
    the final ".": "accept" answers 250, "drop" stores the message and cuts the connection
    without a reply (RFC 1047 window), "stall" stores it and never answers.
    """

    refuse: dict[str, str] = field(default_factory=dict)
    data_mode: DataMode = "accept"
    received: list[Received] = field(default_factory=list)
    mail_froms: list[str] = field(default_factory=list)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.mail_froms.append(address)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        mail_from = envelope.mail_from or ""
        over_tls = is_tls(server, session)
        self.received.append(Received(mail_from, list(envelope.rcpt_tos), content, over_tls))
        if self.data_mode == "accept":
            return "250 OK"
        if self.data_mode == "drop":
            transport = server.transport
            assert isinstance(transport, asyncio.Transport)
            transport.abort()  # no reply goes out; aiosmtpd cancels this handler
        await asyncio.Event().wait()  # "stall": never answer (cancelled when the server stops)
        return "250 OK"


@dataclass
class RecordingAuthenticator:
    """aiosmtpd authenticator accepting one login; records every attempt (TLS or not)."""

    username: str
    password: str
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (username, over TLS)

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login = auth_data.login.decode()
        self.logins.append((login, is_tls(server, session)))
        ok = login == self.username and auth_data.password.decode() == self.password
        # handled=False: let aiosmtpd answer a failure itself (535).
        return AuthResult(success=ok, handled=False, auth_data=login if ok else None)


class LoopbackController(Controller):
    """aiosmtpd's threaded controller on 127.0.0.1, on the given port or an ephemeral one."""

    def __init__(self, handler: Any, port: int = 0, **kwargs: Any) -> None:
        super().__init__(handler, hostname=LOOPBACK, port=port, **kwargs)

    def _trigger_server(self) -> None:
        # The server is bound by now: learn the port the kernel picked before connecting to it.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def smtp_server(handler: Any, port: int = 0, **kwargs: Any) -> Iterator[LoopbackController]:
    """Run aiosmtpd for the block; kwargs go to aiosmtpd's SMTP (tls_context, authenticator...)."""
    controller = LoopbackController(handler, port=port, **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port bound but not listening: connecting is refused until the block ends."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        yield int(sock.getsockname()[1])


class Tarpit:
    """Accepts TCP connections and never says a word (no greeting, no reply, no close)."""

    def __init__(self) -> None:
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port = int(self._listener.getsockname()[1])
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # the listener was closed: stop
                return
            self._held.append(connection)

    def __enter__(self) -> Tarpit:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()


def server_tls_context(ca: trustme.CA, *hostnames: str) -> ssl.SSLContext:
    """A server-side context whose certificate, issued by `ca`, is valid for `hostnames`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hostnames).configure_cert(context)
    return context


SENDER = "Monitor <monitor@example.test>"


def digest_attempt(delivery_id: str = "dlv-1", attempt: int = 1) -> Attempt:
    now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    return Attempt(Digest(delivery_id, "mail", now, event_count=1), attempt, now)


def compose_digest_email(attempt: Attempt) -> EmailMessage:
    """A small stand-in for the real composer: text and HTML parts, Message-ID from the id."""
    message = EmailMessage()
    message["Subject"] = f"Digest {attempt.digest.delivery_id}"
    message["From"] = SENDER
    message["To"] = "readers@example.test"
    message["Message-ID"] = f"<{attempt.digest.delivery_id}@monitor.example.test>"
    message.set_content("Claim status changed ✓\n.\nA line that is a lone dot above.\n")
    message.add_alternative("<p>Claim status changed &#10003;</p>\n", subtype="html")
    return message
