"""Digest e-mails: headers, parts, idempotent Message-ID, and no header injection."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from monitor.digest.email_message import build_email, message_domain, message_id
from monitor.digest.model import (
    ClaimSection,
    Counts,
    Digest,
    EvidenceLine,
    FeedHealthLine,
    Notice,
    StatusChange,
)
from monitor.digest.render import render_html, render_subject, render_text

T = datetime(2024, 10, 25, 12, 0, tzinfo=UTC)
SENDER = "Monitor <monitor@news.example.org>"
TO = ("alice@example.org", "Bob <bob@example.net>")
BASE_HEADERS = [
    "Subject",
    "From",
    "To",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "X-Monitor-Delivery",
    "MIME-Version",
    "Content-Type",
]


def make_digest(text: str = "Musk has talked to Putin since 2022", **rest: object) -> Digest:
    line = EvidenceLine(
        stance="supports",
        confidence=0.9,
        quote=text,
        publisher=text,
        title=text,
        url="https://www.wsj.com/a",
        published_at=T,
        first_seen_at=T,
    )
    section = ClaimSection(
        "c1",
        text,
        "corroborated",
        Counts(2, 0, 1),
        (StatusChange("open", "corroborated", T),),
        (line,),
    )
    return Digest("msg_01JBDELIVERY", "mail", T, claims=(section,), **rest)  # type: ignore[arg-type]


def build(
    value: Digest,
    *,
    unsubscribe: str | None = "https://monitor.example.org/unsubscribe?t=abc",
    now: datetime = T,
    to: Sequence[str] = TO,
) -> EmailMessage:
    return build_email(
        value, sender=SENDER, to=to, unsubscribe=unsubscribe, now=now, domain="news.example.org"
    )


def parse(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(part: EmailMessage) -> str:
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("unsubscribe", "extra"),
    [
        (
            "https://monitor.example.org/u?t=1",
            {
                "List-Unsubscribe": "<https://monitor.example.org/u?t=1>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        ),
        (
            "mailto:unsubscribe@example.org?subject=stop",
            {"List-Unsubscribe": "<mailto:unsubscribe@example.org?subject=stop>"},
        ),
        (None, {}),
    ],
)
def test_headers(unsubscribe: str | None, extra: dict[str, str]) -> None:
    value = make_digest()
    parsed = parse(build(value, unsubscribe=unsubscribe))
    assert sorted(parsed.keys()) == sorted([*BASE_HEADERS, *extra])
    assert parsed["Subject"] == render_subject(value)
    assert parsed["From"] == SENDER
    assert parsed["To"] == "alice@example.org, Bob <bob@example.net>"
    assert parsed["Date"] == "Fri, 25 Oct 2024 12:00:00 +0000"
    assert parsed["Message-ID"] == "<msg_01JBDELIVERY@news.example.org>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["X-Monitor-Delivery"] == "msg_01JBDELIVERY"
    for name, expected in extra.items():
        assert parsed[name] == expected


def test_parts_decode_to_the_rendered_bodies() -> None:
    value = make_digest("Ünïcode claim — “quoted” 😀")
    parsed = parse(build(value))
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert isinstance(parts[0], EmailMessage)
    assert isinstance(parts[1], EmailMessage)
    assert body(parts[0]) == render_text(value)
    assert body(parts[1]) == render_html(value)
    assert parsed["Subject"] == render_subject(value)


def test_message_id_depends_only_on_the_delivery() -> None:
    value = make_digest()
    first = parse(build(value, now=T))
    retry = parse(build(value, now=T + timedelta(hours=3), unsubscribe=None))
    other = parse(build(Digest("msg_01JBOTHER", "mail", T, claims=value.claims)))
    assert first["Message-ID"] == retry["Message-ID"]
    assert first["Date"] != retry["Date"]
    assert other["Message-ID"] != first["Message-ID"]


HOSTILE = [
    "Claim\r\nBcc: victim@example.org",
    "Claim\nBcc: victim@example.org",
    "Claim\rBcc: victim@example.org",
    "Claim\u2028Bcc: victim@example.org\x85X-Evil: 1",
    "<script>alert(1)</script>",
    "\u202eevil\u202c",
    "x" * 100_000,
]


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"notices": (Notice("kind", "Notice\r\nBcc: victim@example.org", T),)},
        {"feeds": (FeedHealthLine("https://x.example", "n", "failing\r\nBcc: v@x", "e", 1, T),)},
    ],
)
def test_hostile_text_cannot_inject_headers(text: str, extra: dict[str, object]) -> None:
    message = build(make_digest(text, **extra))
    raw = message.as_bytes()
    parsed = parse(message)
    assert "Bcc" not in parsed
    assert "X-Evil" not in parsed
    assert sorted(parsed.keys()) == sorted(
        [*BASE_HEADERS, "List-Unsubscribe", "List-Unsubscribe-Post"]
    )
    assert b"\r\nBcc:" not in raw
    assert len(raw) < 100_000
    assert len(str(parsed["Subject"])) <= 150


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender", "Monitor <m@example.org>\r\nBcc: victim@example.org"),
        ("to", "a@example.org\r\nBcc: victim@example.org"),
    ],
)
def test_configured_header_values_with_line_breaks_are_refused(field: str, value: str) -> None:
    arguments: dict[str, object] = {"sender": SENDER, "to": TO}
    arguments[field] = [value] if field == "to" else value
    with pytest.raises(ValueError, match=r"linefeed|carriage"):
        build_email(
            make_digest(),
            unsubscribe=None,
            now=T,
            domain="example.org",
            **arguments,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    "unsubscribe",
    [
        "http://monitor.example.org/u",
        "javascript:alert(1)",
        "https://example.org/u>, <https://evil.example",
        "https://example.org/u\r\nBcc: victim@example.org",
        "",
    ],
)
def test_bad_unsubscribe_urls_are_refused(unsubscribe: str) -> None:
    with pytest.raises(ValueError, match="unsubscribe"):
        build(make_digest(), unsubscribe=unsubscribe)


def test_no_recipients_is_refused() -> None:
    with pytest.raises(ValueError, match="recipient"):
        build(make_digest(), to=())


@pytest.mark.parametrize(
    ("delivery_id", "domain"),
    [("msg 1", "example.org"), ("a>b", "example.org"), ("msg_1", "exa mple.org"), ("", "x.org")],
)
def test_message_id_refuses_unsafe_parts(delivery_id: str, domain: str) -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        message_id(delivery_id, domain)


def test_naive_now_is_taken_as_utc() -> None:
    parsed = parse(build(make_digest(), now=datetime(2024, 10, 25, 12, 0)))
    assert parsed["Date"] == "Fri, 25 Oct 2024 12:00:00 +0000"


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("Monitor <monitor@News.Example.org>", "news.example.org"),
        ("monitor@example.org", "example.org"),
        ("monitor@bücher.example", "xn--bcher-kva.example"),
        ("monitor", "monitor.localhost"),
        ("", "monitor.localhost"),
        ("m@-bad-.example", "monitor.localhost"),
        ("a@b@c.org", "monitor.localhost"),
        ("m@[127.0.0.1]", "monitor.localhost"),
    ],
)
def test_message_domain(sender: str, expected: str) -> None:
    assert message_domain(sender) == expected


FEEDS_ONLY = Digest(
    "msg_feeds", "mail", T, feeds=(FeedHealthLine("https://x.example", None, "failing", "e", 3, T),)
)
NOTICES_ONLY = Digest(
    "msg_notices", "mail", T, notices=(Notice("channel_disabled", 'channel "x" disabled', T),)
)


@pytest.mark.parametrize("value", [FEEDS_ONLY, NOTICES_ONLY])
def test_digests_without_claims_build(value: Digest) -> None:
    parsed = parse(build(value))
    parts = [p for p in parsed.iter_parts() if isinstance(p, EmailMessage)]
    assert [body(p) for p in parts] == [render_text(value), render_html(value)]
    assert parsed["Message-ID"] == f"<{value.delivery_id}@news.example.org>"
