"""URL checks and canonical forms, shared by settings, fetch, parse and dedupe. Pure.

`check_url` rejects what must never be fetched whatever the address (bad schemes, parser
differentials such as backslashes); the address guard in `monitor.fetch` then checks where the
host resolves to, at connect time.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Query parameters that only track the reader; dropped from canonical article URLs.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "cmpid",
        "cmp",
        "ocid",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "rss",
        "feedtype",
        "mkt_tok",
        "oly_enc_id",
        "oly_anon_id",
        "vero_id",
        "at_medium",
        "at_campaign",
        "taid",
        "smid",
        "partner",
        "ref_src",
        "cid",
        "__twitter_impression",
        "s_cid",
        "src",
        "ftag",
        "guccounter",
    }
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_", "__s")

_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeURLError(ValueError):
    """The URL must not be fetched; the message says why."""


def check_url(url: str) -> str:
    """Return `url` stripped if it is an absolute http(s) URL safe to hand to the fetcher.

    Rejects other schemes, backslashes, whitespace and control characters anywhere (URL parser
    differentials such as ``http://127.0.0.1:8888\\@example.com/``), missing hosts, bad ports,
    and numeric host spellings that different parsers read differently (``0x7f.1``, ``2130706433``).
    """
    candidate = url.strip()
    if not candidate:
        raise UnsafeURLError("empty URL")
    if _FORBIDDEN.search(candidate):
        raise UnsafeURLError("URL contains a backslash, whitespace or a control character")
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = scheme or "none"
        raise UnsafeURLError(f"unsupported scheme {shown!r} (only http and https are fetched)")
    host = parts.hostname
    if not host:
        raise UnsafeURLError("URL has no host")
    if port == 0:
        raise UnsafeURLError("URL has port 0")
    if _is_ambiguous_numeric_host(host):
        raise UnsafeURLError(f"host {host!r} is a numeric address in a non-standard form")
    return candidate


def _is_ambiguous_numeric_host(host: str) -> bool:
    """True for hex/octal/integer IPv4 spellings that inet_aton accepts but URLs should not."""
    if host.startswith("["):
        return False
    try:
        ipaddress.ip_address(host)
        return False  # canonical dotted quad or IPv6
    except ValueError:
        pass
    labels = host.split(".")
    return all(
        re.fullmatch(r"(0x[0-9a-f]*|\d+)", label, re.IGNORECASE) for label in labels if label
    )


def redact_url(url: str) -> str:
    """The URL with any user:password replaced by `***`, for logs and errors."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if "@" not in parts.netloc:
        return url
    hostport = parts.netloc.rpartition("@")[2]
    netloc = f"***@{hostport}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """A stable form of an article URL: the same page reached two ways gives the same string.

    Lower-cases scheme and host, drops default ports, userinfo, fragments and tracking
    parameters (utm_*, fbclid, ...), removes empty queries, normalises percent-escapes and
    keeps the order of the remaining query parameters (some sites route on it).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~%") or "/"
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query = urlencode(query_pairs, doseq=True)
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """Lower-case host of a URL ('' when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
