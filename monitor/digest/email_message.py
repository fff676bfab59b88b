"""A digest as a MIME e-mail: text and HTML alternatives with list and idempotency headers. Pure.

The Message-ID is made from the delivery id alone, so every attempt of one delivery carries the
same one and a receiver can drop the duplicate a crash between send and mark may cause. Headers
are set under `email.policy.SMTP`, which refuses CR and LF in values; the subject is cleaned by
`render_subject` before it gets there.
"""

from __future__ import annotations

import email.policy
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from monitor.digest.model import Digest
from monitor.digest.render import render_html, render_subject, render_text

DEFAULT_MESSAGE_DOMAIN = "monitor.localhost"
# RFC 5322 dot-atom-text: what the left part of a Message-ID may hold.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_HOSTNAME = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
_URL_UNSAFE = re.compile(r"[\s<>\x00-\x1f\x7f]")


def message_domain(sender: str) -> str:
    """The domain of the sender's address (IDNA-encoded), or "monitor.localhost" if it has none."""
    _, address = parseaddr(sender)
    domain = address.rpartition("@")[2].strip().rstrip(".").lower() if "@" in address else ""
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return DEFAULT_MESSAGE_DOMAIN
    if not domain or len(domain) > 253 or not _HOSTNAME.fullmatch(domain):
        return DEFAULT_MESSAGE_DOMAIN
    return domain


def message_id(delivery_id: str, domain: str) -> str:
    """`<delivery_id@domain>`; ValueError when either part cannot stand in a Message-ID."""
    if not _DOT_ATOM.fullmatch(delivery_id):
        raise ValueError(f"delivery id {delivery_id!r} cannot be used in a Message-ID")
    if not _HOSTNAME.fullmatch(domain):
        raise ValueError(f"domain {domain!r} cannot be used in a Message-ID")
    return f"<{delivery_id}@{domain}>"


def _unsubscribe_headers(unsubscribe: str | None) -> list[tuple[str, str]]:
    if unsubscribe is None:
        return []
    scheme = unsubscribe.partition(":")[0].lower()
    if _URL_UNSAFE.search(unsubscribe) or scheme not in ("https", "mailto"):
        raise ValueError("unsubscribe must be an https: or mailto: URL without spaces or <>")
    headers = [("List-Unsubscribe", f"<{unsubscribe}>")]
    if scheme == "https":  # RFC 8058 one-click: the receiver POSTs to the URL.
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


def build_email(
    digest: Digest,
    *,
    sender: str,
    to: Sequence[str],
    unsubscribe: str | None,
    now: datetime,
    domain: str,
) -> EmailMessage:
    """The digest as a multipart/alternative message (UTF-8 text, then HTML).

    ValueError when `to` is empty, when `unsubscribe` is not https or mailto, or when a header
    value would hold CR or LF.
    """
    if not to:
        raise ValueError("an e-mail needs at least one recipient")
    message = EmailMessage(policy=email.policy.SMTP)
    headers = [
        ("Subject", render_subject(digest)),
        ("From", sender),
        ("To", ", ".join(to)),
        ("Date", format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))),
        ("Message-ID", message_id(digest.delivery_id, domain)),
        *_unsubscribe_headers(unsubscribe),
        ("Auto-Submitted", "auto-generated"),
        ("X-Monitor-Delivery", digest.delivery_id),
    ]
    for name, value in headers:
        message[name] = value
    message.set_content(
        render_text(digest), subtype="plain", charset="utf-8", cte="quoted-printable"
    )
    message.add_alternative(
        render_html(digest), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return message
