"""Configuration of alert delivery: [smtp], [delivery] and [[channels]]. Pure models.

Reads the files named by a channel's `url_file` / `secret_file` (Docker and systemd secrets)
when the config is loaded; everything else is validation only.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from monitor.digest.timing import parse_schedule
from monitor.settings_types import Duration, Identifier, Section

EventKind = Literal["supports", "refutes", "status", "feeds"]
ALL_EVENT_KINDS: tuple[EventKind, ...] = ("supports", "refutes", "status", "feeds")
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        message = f"unknown time zone {value!r} (use an IANA name such as 'Europe/Berlin')"
        raise ValueError(message) from None
    return value


class SmtpSettings(Section):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    # "starttls" (port 587), "tls" (implicit TLS, port 465) or "none" (a local relay only).
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "monitor <monitor@localhost>"  # the From: address
    timeout: Duration = 30.0  # connect, greeting and each command
    data_timeout: Duration = 120.0  # waiting for the reply to the message data
    ca_file: str | None = None  # extra CA bundle to trust (a private relay); None: system CAs

    @model_validator(mode="after")
    def _credentials(self) -> SmtpSettings:
        if self.password is not None and self.security == "none":
            raise ValueError("smtp.password needs security = 'starttls' or 'tls'")
        return self


class DeliverySettings(Section):
    timezone: str = "UTC"  # for channel schedules that name no time zone
    max_claims_per_digest: int = Field(default=50, ge=1, le=10_000)
    max_evidence_per_claim: int = Field(default=10, ge=1, le=1_000)
    lease: Duration = 300.0  # a delivery being sent is retried by others after this long
    # Consecutive failures after which a feed is reported as failing in digests.
    feed_failing_after: int = Field(default=3, ge=1, le=1_000)

    _timezone = field_validator("timezone")(_zone)


def _read_secret(path_text: str, key: str) -> SecretStr:
    try:
        value = Path(path_text).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"cannot read {key} {path_text}: {exc.strerror or exc}") from None
    if not value:
        raise ValueError(f"{key} {path_text} is empty")
    return SecretStr(value)


class ChannelSettings(Section):
    id: Identifier
    type: Literal["email", "webhook", "apprise"]
    # "immediate", "hourly", "daily at HH:MM", or a cron expression "cron: M H DOM MON DOW".
    schedule: str = "immediate"
    timezone: str | None = None  # None: [delivery] timezone
    claims: tuple[str, ...] = ()  # only these claims; empty: every claim
    entities: tuple[str, ...] = ()  # only claims about these entities; empty: no filter
    events: tuple[EventKind, ...] = ALL_EVENT_KINDS
    to: tuple[str, ...] = ()  # email: recipients
    unsubscribe: str | None = None  # email: List-Unsubscribe target (https: or mailto: URL)
    url: SecretStr | None = None  # webhook: endpoint; apprise: an Apprise URL
    url_file: str | None = None  # read `url` from this file instead
    secret: SecretStr | None = None  # webhook: signing secret, "whsec_" + base64
    secret_file: str | None = None  # read `secret` from this file instead
    timeout: Duration = 15.0  # webhook: total time for one attempt
    allow_private: bool = False  # webhook: may post to loopback/private addresses
    # Waits between attempts; the last one repeats. Empty: 5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h,
    # 24h for webhooks (Standard Webhooks) and 1m, 2m, 4m, 8m, 15m for email and Apprise.
    retry: tuple[Duration, ...] = ()
    give_up_after: Duration = 3 * 86400.0  # a delivery still failing after this long is dead

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)  # raises ValueError saying what is wrong
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else _zone(value)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if not _ADDRESS.match(address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @model_validator(mode="after")
    def _by_type(self) -> ChannelSettings:
        self._read_secret_files()
        if self.type == "email":
            if not self.to:
                raise ValueError("an email channel needs `to` (one or more addresses)")
            if self.url is not None or self.secret is not None:
                raise ValueError("an email channel takes no url or secret")
            return self
        kind = f"{'an' if self.type == 'apprise' else 'a'} {self.type} channel"
        if self.url is None:
            raise ValueError(f"{kind} needs `url`")
        if self.to:
            raise ValueError(f"{kind} takes no `to`")
        if self.type == "webhook":
            self._check_webhook(self.url.get_secret_value())
        elif self.secret is not None:
            raise ValueError(f"{kind} takes no `secret`")
        return self

    def _read_secret_files(self) -> None:
        for key, file_key in (("url", "url_file"), ("secret", "secret_file")):
            path_text = getattr(self, file_key)
            if path_text is not None:
                if getattr(self, key) is not None:
                    raise ValueError(f"set either {key} or {file_key}, not both")
                object.__setattr__(self, key, _read_secret(path_text, file_key))

    def _check_webhook(self, url: str) -> None:
        if self.secret is None:
            raise ValueError("a webhook channel needs `secret` (whsec_ + base64)")
        _check_webhook_secret(self.secret.get_secret_value())
        if not url.startswith(("https://", "http://")):
            raise ValueError("a webhook url must be http:// or https://")


def _check_webhook_secret(secret: str) -> None:
    body = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret must be 'whsec_' followed by base64") from None
    if len(key) < 24:
        raise ValueError("the webhook secret must hold at least 24 random bytes")
