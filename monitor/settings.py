"""Configuration: the models of config/monitor.toml. Loading lives in `monitor.config_loader`.

Every setting here appears, documented, in config/monitor.toml (a test enforces it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from monitor.board_settings import BoardSettings
from monitor.channels import ChannelSettings, DeliverySettings, SmtpSettings
from monitor.errors import did_you_mean
from monitor.settings_types import (
    Duration,
    DurationOrZero,
    Identifier,
    Section,
    Size,
    parse_duration,
    parse_duration_or_zero,
    parse_size,
)
from monitor.urls import check_url, redact_url
from monitor.worker_settings import DaemonSettings

__all__ = [
    "ChannelSettings",
    "DeliverySettings",
    "Duration",
    "DurationOrZero",
    "Identifier",
    "Section",
    "Size",
    "SmtpSettings",
    "parse_duration",
    "parse_duration_or_zero",
    "parse_size",
]


class SettingError(ValueError):
    """A problem found across fields that belongs to one setting; `loc` is its path.

    Pydantic keeps the exception in the error's context, so the loader can point at
    ``feeds[3].url`` rather than at the whole file.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def literal_address_problem(url: str, allowed: Sequence[Network]) -> str | None:
    """Why `url` must not be fetched if its host is a literal non-public address, else None.

    Only literal addresses (``http://127.0.0.1/``, ``http://[::1]/``) and ``localhost`` are
    judged here, where no resolver is needed; names are checked at connect time by the fetcher.
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        candidates = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    else:
        try:
            candidates = [ipaddress.ip_address(host.split("%", 1)[0])]
        except ValueError:
            return None
    address = candidates[0]
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    judged = mapped or address
    if judged.is_global and not judged.is_multicast:
        return None
    if mapped is not None:
        candidates.append(mapped)
    if any(candidate in net for candidate in candidates for net in allowed):
        return None
    kind = _address_kind(judged)
    article = "an" if kind[0] in "aeiou" else "a"
    return (
        f"{host} is {article} {kind} address, not a public one "
        "(add its network to fetch.allow_private to fetch it)"
    )


def _address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for kind, flag in (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
    ):
        if flag:
            return kind
    return "reserved"


class DatabaseSettings(Section):
    # Empty: SQLite file `monitor.db` in the user's data directory.
    url: SecretStr | None = None


class FetchSettings(Section):
    user_agent: str | None = None  # None: "monitor/<version> (+<project url>)"
    connect_timeout: Duration = 5.0
    read_timeout: Duration = 10.0
    feed_deadline: Duration = 30.0  # total wall time for one feed request, redirects included
    page_deadline: Duration = 30.0  # total wall time for one article page
    max_feed_size: Size = 15 * 1024**2  # decompressed bytes
    max_page_size: Size = 5 * 1024**2  # decompressed bytes
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_in_flight: int = Field(default=50, ge=1, le=1000)  # all hosts together
    per_host_in_flight: int = Field(default=2, ge=1, le=100)
    per_host_spacing: DurationOrZero = 1.0  # minimum time between request starts to one host
    # Networks (CIDR) that may be fetched although they are not public, e.g. "10.1.2.0/24".
    allow_private: tuple[str, ...] = ()
    proxy: SecretStr | None = None  # http(s) proxy URL; the address guard then runs at the proxy

    @field_validator("allow_private")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as exc:
                raise ValueError(f"{net!r} is not a network in CIDR form ({exc})") from None
        return value


class ParseSettings(Section):
    items_per_poll: int = Field(default=200, ge=1, le=10_000)  # newest N entries per poll
    # Feed URLs read with their DOCTYPE's internal subset (their <!ENTITY> declarations)
    # removed, instead of refused: entity references are left unexpanded.
    strip_dtd: tuple[str, ...] = ()
    deadline: Duration = 20.0  # child-process wall time for one feed
    memory_limit: Size = 1024**3  # child-process address space


class ExtractSettings(Section):
    deadline: Duration = 20.0
    memory_limit: Size = 1024**3
    max_input_size: Size = 2 * 1024**2  # HTML bytes handed to trafilatura
    workers: int = Field(default=2, ge=1, le=64)


class PollingSettings(Section):
    interval: Duration = 1800.0  # default per-feed interval
    max_backoff: Duration = 86400.0  # failures back off exponentially up to this
    # Feeds without their own interval follow how often they publish, within the bounds below.
    adaptive: bool = True
    min_interval: Duration = 600.0
    max_interval: Duration = 86400.0  # also caps how long <ttl> and Cache-Control can defer

    @model_validator(mode="after")
    def _bounds(self) -> PollingSettings:
        if self.min_interval > self.max_interval:
            raise SettingError(
                ("polling", "min_interval"), "min_interval must not be longer than max_interval"
            )
        return self


class EvidenceSettings(Section):
    # Independent supporting sources (and no refutation) that make a claim "corroborated".
    corroborate_at: int = Field(default=2, ge=1, le=100)
    # Whether evidence found by a backfill (a claim added or reworded later) raises alerts.
    alert_on_backfill: bool = False


class FeedSettings(Section):
    url: str
    name: str | None = None
    interval: Duration | None = None

    @field_validator("url")
    @classmethod
    def _safe_url(cls, value: str) -> str:
        return check_url(value)  # UnsafeURLError is a ValueError: it says why

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name == "url" and isinstance(value, str) else value


class EntitySettings(Section):
    id: Identifier
    name: str = Field(min_length=1)
    kind: Literal["person", "organization", "place", "product", "other"] = "other"
    aliases: tuple[str, ...] = ()
    # Phrases that, when they surround a match, mean it is not this entity ("X-ray", "Trump card").
    negative_aliases: tuple[str, ...] = ()


class ClaimSettings(Section):
    id: Identifier
    text: str = Field(min_length=1)
    entities: tuple[str, ...] = Field(min_length=1)
    kind: Literal["fact", "forecast", "statement"] = "fact"
    source: str | None = None
    opened: date | None = None
    denies: tuple[str, ...] = ()  # ids of claims this one contradicts


class Settings(Section):
    database: DatabaseSettings = DatabaseSettings()
    fetch: FetchSettings = FetchSettings()
    parse: ParseSettings = ParseSettings()
    extract: ExtractSettings = ExtractSettings()
    polling: PollingSettings = PollingSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    feeds: tuple[FeedSettings, ...] = ()
    entities: tuple[EntitySettings, ...] = ()
    claims: tuple[ClaimSettings, ...] = ()
    smtp: SmtpSettings = SmtpSettings()
    delivery: DeliverySettings = DeliverySettings()
    channels: tuple[ChannelSettings, ...] = ()
    daemon: DaemonSettings = DaemonSettings()
    board: BoardSettings = BoardSettings()

    @model_validator(mode="after")
    def _feed_addresses(self) -> Settings:
        allowed = [ipaddress.ip_network(net, strict=False) for net in self.fetch.allow_private]
        for index, feed in enumerate(self.feeds):
            if problem := literal_address_problem(feed.url, allowed):
                raise SettingError(("feeds", index, "url"), problem)
        return self

    @model_validator(mode="after")
    def _references(self) -> Settings:
        """Every id once, and every reference to an entity or claim to one that exists; a
        problem points at the setting that holds it, with the closest id when one is near."""
        _unique("feeds", "url", "feed", [feed.url for feed in self.feeds])
        entity_ids = _unique("entities", "id", "entity id", [e.id for e in self.entities])
        claim_ids = _unique("claims", "id", "claim id", [c.id for c in self.claims])
        _unique("channels", "id", "channel id", [c.id for c in self.channels])
        for index, claim in enumerate(self.claims):
            _known(("claims", index, "entities"), "entity", claim.entities, entity_ids)
            _known(("claims", index, "denies"), "claim", claim.denies, claim_ids)
        for index, channel in enumerate(self.channels):
            _known(("channels", index, "claims"), "claim", channel.claims, claim_ids)
            _known(("channels", index, "entities"), "entity", channel.entities, entity_ids)
        return self


def _unique(section: str, key: str, what: str, values: Sequence[str]) -> list[str]:
    """`values` (one per element of `section`), refused at the first that repeats one."""
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in first:
            raise SettingError(
                (section, index, key),
                f"{what} {value!r} is already used by {section}[{first[value]}]",
            )
        first[value] = index
    return list(values)


def _known(loc: tuple[str | int, ...], what: str, refs: Iterable[str], ids: Sequence[str]) -> None:
    for ref in refs:
        if ref not in ids:
            hint = did_you_mean(ref, ids, quoted=True)
            raise SettingError(loc, f"unknown {what} {ref!r}" + (f" ({hint})" if hint else ""))
