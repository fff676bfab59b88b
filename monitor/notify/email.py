"""Sends digests as e-mail over SMTP (smtplib in a worker thread). Network.

One connection per attempt: connect with `smtp.timeout`, EHLO, STARTTLS (required when
security = "starttls") or implicit TLS, log in only over TLS, then MAIL / RCPT / DATA with the
socket timeout raised to `smtp.data_timeout` for the message data and its reply. The composed
message carries the digest's delivery id as Message-ID, so a retry after a drop past the final
"." (RFC 1047) yields at most a duplicate a receiver can recognise.
"""

from __future__ import annotations

import asyncio
import email.utils
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from monitor.channels import SmtpSettings
from monitor.notify.base import Attempt, SendOutcome
from monitor.notify.smtp_errors import (
    SmtpReply,
    describe_refused,
    one_line,
    outcome_for_all_refused,
    outcome_for_exception,
    outcome_for_reply,
    with_prefix,
)

ComposeMessage = Callable[[Attempt], EmailMessage]

_NO_STARTTLS = "server does not offer STARTTLS; refusing to send credentials or mail in clear"
_ACCEPTED_RCPT = (250, 251)


class _Progress:
    """Which step of the SMTP conversation is under way, for the error message."""

    def __init__(self, timeout: float) -> None:
        self.stage = "while connecting"
        self.timeout = timeout

    def at(self, stage: str, timeout: float | None = None) -> None:
        self.stage = stage
        if timeout is not None:
            self.timeout = timeout


class EmailNotifier:
    """Delivers each attempt's composed message to `recipients` through one SMTP server."""

    def __init__(
        self,
        channel_id: str,
        smtp: SmtpSettings,
        recipients: Sequence[str],
        compose: ComposeMessage,
    ) -> None:
        self.channel_id = channel_id
        self._smtp = smtp
        self._recipients = tuple(recipients)
        self._compose = compose
        self._envelope_from = email.utils.parseaddr(smtp.sender)[1] or smtp.sender
        self._password = smtp.password.get_secret_value() if smtp.password else ""
        self._tls_context: ssl.SSLContext | None = None
        self._local_hostname: str | None = None
        self._server = f"SMTP {smtp.host}:{smtp.port}"

    async def send(self, attempt: Attempt) -> SendOutcome:
        try:
            message = self._compose(attempt)
        except Exception as exc:  # a digest that cannot be rendered never will be (row 54)
            error = f"cannot compose the e-mail: {type(exc).__name__}: {exc}"
            return SendOutcome.dead(one_line(error, [self._password]))
        if not self._recipients:
            return SendOutcome.dead("the channel has no recipients")
        outcome = await asyncio.to_thread(self._deliver, message)
        return with_prefix(outcome, self._server, [self._password])

    async def aclose(self) -> None:
        """Nothing to release: every attempt opens and closes its own connection."""

    # --- the blocking part, run in a worker thread --------------------------------------------

    def _deliver(self, message: EmailMessage) -> SendOutcome:
        smtp = self._smtp
        progress = _Progress(smtp.timeout)
        client: smtplib.SMTP | None = None
        try:
            context = self._context() if smtp.security != "none" else None
            client = self._connect(context, progress)
            outcome = self._converse(client, context, message, progress)
        except _ConfigError as exc:
            return SendOutcome.dead(str(exc))
        except Exception as exc:
            return outcome_for_exception(exc, progress.stage, progress.timeout)
        finally:
            if client is not None:
                _quit_quietly(client)
        return outcome

    def _context(self) -> ssl.SSLContext:
        if self._tls_context is None:
            context = ssl.create_default_context()  # system CAs, CERT_REQUIRED, check_hostname
            if self._smtp.ca_file:
                try:
                    context.load_verify_locations(cafile=self._smtp.ca_file)
                except (OSError, ssl.SSLError) as exc:
                    reason = getattr(exc, "strerror", None) or exc
                    error = f"cannot load smtp.ca_file {self._smtp.ca_file}: {reason}"
                    raise _ConfigError(error) from None
            self._tls_context = context
        return self._tls_context

    def _connect(self, context: ssl.SSLContext | None, progress: _Progress) -> smtplib.SMTP:
        smtp = self._smtp
        if self._local_hostname is None:
            self._local_hostname = socket.getfqdn()
        progress.at("while connecting or waiting for the greeting")
        # The host goes to the constructor: smtplib verifies the certificate against it, for
        # implicit TLS and for STARTTLS alike. A greeting other than 220 raises SMTPConnectError.
        if smtp.security == "tls":
            assert context is not None
            return smtplib.SMTP_SSL(
                smtp.host,
                smtp.port,
                local_hostname=self._local_hostname,
                timeout=smtp.timeout,
                context=context,
            )
        return smtplib.SMTP(
            smtp.host, smtp.port, local_hostname=self._local_hostname, timeout=smtp.timeout
        )

    def _converse(
        self,
        client: smtplib.SMTP,
        context: ssl.SSLContext | None,
        message: EmailMessage,
        progress: _Progress,
    ) -> SendOutcome:
        smtp = self._smtp
        progress.at("after EHLO")
        client.ehlo_or_helo_if_needed()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                return SendOutcome.dead(_NO_STARTTLS)
            progress.at("during STARTTLS")
            client.starttls(context=context)  # verifies the certificate and the host name
            progress.at("after EHLO over TLS")
            client.ehlo()
        if smtp.username:
            if smtp.security == "none":
                return SendOutcome.dead("refusing to log in over a clear connection")
            progress.at("while logging in")
            client.login(smtp.username, self._password)
        return self._transmit(client, message, progress)

    def _transmit(
        self, client: smtplib.SMTP, message: EmailMessage, progress: _Progress
    ) -> SendOutcome:
        del message["Bcc"]  # the envelope names the recipients; never show them to each other
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        options: list[str] = []
        if not data.isascii() and client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        addresses = (self._envelope_from, *self._recipients)
        if not all(address.isascii() for address in addresses):
            if not client.has_extn("smtputf8"):
                return SendOutcome.dead("an address is not ASCII and the server lacks SMTPUTF8")
            options.append("SMTPUTF8")
        progress.at("after MAIL FROM")
        code, reply = client.mail(self._envelope_from, options)
        if code != 250:
            return outcome_for_reply(SmtpReply.of(code, reply), f"sender {self._envelope_from}")
        refused: dict[str, SmtpReply] = {}
        for recipient in self._recipients:
            progress.at(f"after RCPT TO {recipient}")
            code, reply = client.rcpt(recipient)
            if code == 421:
                closing = SmtpReply.of(code, reply)
                return SendOutcome.retry(f"server is closing the connection: {closing}")
            if code not in _ACCEPTED_RCPT:
                refused[recipient] = SmtpReply.of(code, reply)
        if len(refused) == len(self._recipients):
            return outcome_for_all_refused(refused)
        # RFC 1047 / RFC 5321 4.5.3.2: allow a slow server its time for the data and its reply.
        data_timeout = self._smtp.data_timeout
        progress.at("after the message data (the server may have accepted it)", data_timeout)
        assert client.sock is not None
        client.sock.settimeout(data_timeout)
        code, reply = client.data(data)
        if code != 250:
            return outcome_for_reply(SmtpReply.of(code, reply), "message refused")
        if refused:
            return SendOutcome.sent(f"sent; refused recipients: {describe_refused(refused)}")
        return SendOutcome.sent()


class _ConfigError(Exception):
    """A local setting that makes every attempt fail (e.g. an unreadable ca_file)."""


def _quit_quietly(client: smtplib.SMTP) -> None:
    """Say goodbye if the connection still works; the outcome is already decided."""
    try:
        if client.sock is not None:
            client.sock.settimeout(min(client.timeout, 5.0))
            client.docmd("QUIT")
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
