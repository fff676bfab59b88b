"""The notifier contract: one delivery attempt in, one classified outcome out. Pure types.

A notifier never raises for a failed send: it returns a `SendOutcome` saying whether the
channel accepted the digest (SENT), may accept it later (RETRY: network errors, timeouts, 5xx,
408, 429, SMTP 4xx) or never will (DEAD: other 4xx, SMTP 5xx, TLS refusal, blocked address).
The caller (`monitor.delivery`) owns the outbox rows, the retry schedule and the marking.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from monitor.digest.model import Digest


class Verdict(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class SendOutcome:
    verdict: Verdict
    # One line for `monitor deliveries` and the logs; never holds a secret or a URL token.
    error: str | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait (429, 503)
    # The endpoint is gone (webhook 410): disable the channel and tell the user.
    disable_channel: bool = False

    @classmethod
    def sent(cls, note: str | None = None) -> SendOutcome:
        return cls(Verdict.SENT, note)

    @classmethod
    def retry(cls, error: str, retry_after: float | None = None) -> SendOutcome:
        return cls(Verdict.RETRY, error, retry_after)

    @classmethod
    def dead(cls, error: str, *, disable_channel: bool = False) -> SendOutcome:
        return cls(Verdict.DEAD, error, disable_channel=disable_channel)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at sending a stored digest.

    `digest.delivery_id` is the idempotency key: the same on every attempt (the webhook-id, the
    email's Message-ID), so a receiver can drop the duplicate a crash between send and mark
    may cause.
    """

    digest: Digest
    attempt: int  # 1 for the first try
    now: datetime


class Notifier(Protocol):
    """Sends digests to one configured channel."""

    channel_id: str

    async def send(self, attempt: Attempt) -> SendOutcome: ...

    async def aclose(self) -> None: ...
