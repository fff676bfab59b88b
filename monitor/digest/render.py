"""Digests as a subject line, a plain-text body and an HTML body (sandboxed Jinja). Pure.

Every value in a digest comes from feeds, so it is hostile until cleaned: the templates pass each
one through filters registered on the environment (`clean`, `clip`, `link_url`, `day`) that drop
control and bidi-override characters, bound lengths and let only http(s) URLs become links. The
HTML template is autoescaped; values are data, never template source, so `{{ 7*7 }}` in a title
stays literal.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from jinja2 import PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from monitor.digest.model import ClaimSection, Digest
from monitor.domain import as_utc

SUBJECT_MAX = 150
SUBJECT_CLAIM_MAX = 35  # characters of claim text in a subject, ellipsis included
QUOTE_MAX = 600
TITLE_MAX = 300
URL_MAX = 2000  # longer URLs are shown cut, as text, never as a link
ELLIPSIS = "…"

# Characters that reorder displayed text (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI).
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# Line and paragraph breaks that are not control characters (category Zl / Zp).
_BREAKS = frozenset("\u2028\u2029")
_SPACES = re.compile(r"[ \t]{2,}")


def clean(value: object) -> str:
    """One line of text: no control, bidi-override or line-break characters; None is ""."""
    if value is None:
        return ""
    out: list[str] = []
    for char in str(value):
        if char in _BIDI_CONTROLS:
            continue
        if char in _BREAKS or char in "\t\n\r\v\f\x85":
            out.append(" ")
        elif unicodedata.category(char) != "Cc":
            out.append(char)
    return _SPACES.sub(" ", "".join(out)).strip()


def clip(value: object, limit: int) -> str:
    """`clean(value)` cut to at most `limit` characters, the last being "…" when cut."""
    text = clean(value)
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def link_url(value: object) -> str:
    """The cleaned URL when it may be a link (http or https with a host, not too long), else ""."""
    url = clean(value)
    if len(url) > URL_MAX:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url


def day(value: datetime | None) -> str:
    """The UTC calendar day, e.g. "2024-10-25"; naive datetimes are taken as UTC."""
    return "" if value is None else as_utc(value).date().isoformat()


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _quoted_claim(claim: ClaimSection) -> str:
    return '"' + clip(claim.text, SUBJECT_CLAIM_MAX) + '"'


def _claims_part(digest: Digest) -> str | None:
    total = len(digest.claims) + digest.omitted_claims
    if total == 0:
        return None
    if total == 1 and digest.claims:
        claim = digest.claims[0]
        if claim.changes:
            return f"{_quoted_claim(claim)} now {clean(claim.changes[-1].new)}"
        new = len(claim.evidence) + claim.omitted_evidence
        if new:
            return f"{_plural(new, 'new source')} on {_quoted_claim(claim)}"
        return f"{_quoted_claim(claim)} updated"
    details = [
        f"{count} {status}"
        for status, count in Counter(
            clean(c.changes[-1].new) for c in digest.claims if c.changes
        ).items()
    ]
    refutations = sum(1 for c in digest.claims for e in c.evidence if e.stance == "refutes")
    if refutations:
        details.append(_plural(refutations, "new refutation"))
    suffix = f" ({', '.join(details)})" if details else ""
    return f"{_plural(total, 'claim')} updated{suffix}"


def _feeds_part(digest: Digest) -> str | None:
    states = Counter(clean(f.state) for f in digest.feeds)
    if not states:
        return None
    return ", ".join(f"{_plural(count, 'feed')} {state}" for state, count in states.items())


def _notices_part(digest: Digest) -> str | None:
    if len(digest.notices) == 1:
        return clean(digest.notices[0].text) or clean(digest.notices[0].kind)
    if digest.notices:
        return _plural(len(digest.notices), "notice")
    return None


def render_subject(digest: Digest) -> str:
    """One line saying what changed, at most `SUBJECT_MAX` characters, no control characters."""
    parts = [p for p in (_claims_part(digest), _feeds_part(digest), _notices_part(digest)) if p]
    return clip("monitor: " + ("; ".join(parts) if parts else "no news"), SUBJECT_MAX)


@cache
def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=PackageLoader("monitor.digest", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(clean=clean, clip=clip, link_url=link_url, day=day)
    environment.globals.update(QUOTE_MAX=QUOTE_MAX, TITLE_MAX=TITLE_MAX)
    return environment


def _render(template: str, digest: Digest) -> str:
    return _environment().get_template(template).render(digest=digest)


def render_text(digest: Digest) -> str:
    """The plain-text body."""
    return _render("digest.txt.j2", digest)


def render_html(digest: Digest) -> str:
    """The HTML body: inline styles, no scripts, no external resources."""
    return _render("digest.html.j2", digest)
