"""Turns SMTP failures into send outcomes (reply codes, socket and TLS errors). No I/O.

Transient trouble (refused or dropped connections, timeouts, DNS, SMTP 4xx) is RETRY; what will
never work without a change (SMTP 5xx, a bad certificate, a server without STARTTLS) is DEAD.
Every error is one line and never holds the password.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.notify.base import SendOutcome, Verdict

_MAX_ERROR = 400


@dataclass(frozen=True, slots=True)
class SmtpReply:
    """A reply the server gave, as code and text (continuation lines joined)."""

    code: int
    text: str

    @classmethod
    def of(cls, code: int, message: bytes | str) -> SmtpReply:
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        return cls(code, " ".join(text.split()))

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()

    @property
    def is_transient(self) -> bool:
        return 400 <= self.code < 500


def one_line(text: str, secrets: Sequence[str] = ()) -> str:
    """Collapse whitespace, cut to a readable length and blank out every secret."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def outcome_for_reply(reply: SmtpReply, what: str) -> SendOutcome:
    """A reply that ends the attempt: 4xx is RETRY, anything else (5xx, garbage) DEAD."""
    message = f"{what}: {reply}"
    if reply.is_transient:
        return SendOutcome.retry(message)
    if reply.code < 0:  # not a reply at all; the next connection may do better
        return SendOutcome.retry(f"{what}: unreadable reply {reply.text!r}")
    return SendOutcome.dead(message)


def describe_refused(refused: Mapping[str, SmtpReply]) -> str:
    return ", ".join(f"{address} ({reply})" for address, reply in refused.items())


def outcome_for_all_refused(refused: Mapping[str, SmtpReply]) -> SendOutcome:
    """Every recipient refused: RETRY when all refusals are 4xx, else DEAD naming them."""
    if all(reply.is_transient for reply in refused.values()):
        return SendOutcome.retry(f"recipients refused for now: {describe_refused(refused)}")
    return SendOutcome.dead(f"recipients refused: {describe_refused(refused)}")


def outcome_for_exception(exc: BaseException, stage: str, timeout: float) -> SendOutcome:
    """Classify what smtplib, ssl or socket raised while `stage` was in progress."""
    timed_out = isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
    if timed_out:
        return SendOutcome.retry(f"timed out after {timeout:g} s {stage}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or exc.reason or str(exc)
        return SendOutcome.dead(
            f"TLS certificate verification failed ({detail}) {stage}; "
            "fix the server certificate, smtp.host or smtp.ca_file"
        )
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return SendOutcome.retry(f"connection closed during TLS {stage}")
    if isinstance(exc, ssl.SSLError):
        return SendOutcome.dead(f"TLS failed {stage}: {exc.reason or exc}; check smtp.security")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendOutcome.retry(f"server closed the connection {stage}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendOutcome.dead(f"{exc} ({stage})")
    if isinstance(exc, smtplib.SMTPResponseException):
        return outcome_for_reply(SmtpReply.of(exc.smtp_code, exc.smtp_error), stage)
    if isinstance(exc, smtplib.SMTPException):
        return SendOutcome.dead(f"{stage}: {exc}")
    if isinstance(exc, socket.gaierror):
        return SendOutcome.retry(f"cannot resolve the server name {stage}: {exc.strerror or exc}")
    if isinstance(exc, ConnectionRefusedError):
        return SendOutcome.retry(f"connection refused {stage}")
    if isinstance(exc, ConnectionError):
        return SendOutcome.retry(f"connection lost {stage}: {exc.strerror or exc}")
    if isinstance(exc, OSError):
        return SendOutcome.retry(f"network error {stage}: {exc.strerror or exc}")
    return SendOutcome.dead(f"unexpected {type(exc).__name__} {stage}: {exc}")


def with_prefix(outcome: SendOutcome, prefix: str, secrets: Sequence[str]) -> SendOutcome:
    """Put `prefix` (the server) before the error, make it one line and redact secrets."""
    if outcome.error is None:
        return outcome
    error = one_line(f"{prefix}: {outcome.error}", secrets)
    if outcome.verdict is Verdict.SENT:
        return SendOutcome.sent(error)
    if outcome.verdict is Verdict.RETRY:
        return SendOutcome.retry(error, outcome.retry_after)
    return SendOutcome.dead(error, disable_channel=outcome.disable_channel)
