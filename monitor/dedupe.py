"""Same story, other copy: text fingerprints, near-duplicate test, content hash, publisher. Pure.

The fingerprint is a 64-bit locality-sensitive hash whose Hamming distance tracks how much two
texts share. It is one-bit MinHash (b-bit minwise hashing with b = 1) over word 3-shingles: bit i is
the lowest bit of the smallest value of the i-th hash function over the text's shingles, so two
texts agree on a bit with probability (1 + J) / 2, J being the Jaccard similarity of their shingle
sets; unrelated texts differ in about 32 bits. It replaced SimHash after a measurement on the 20
ground-truth articles in shared/data/html: wire copies with a new headline, byline, boilerplate
lines and two word edits stayed within 3 bits (SimHash over the same shingles: up to 7), while
different articles, same-topic ones included, were 23 or more bits apart (test_dedupe_wire.py).
Only paragraphs of 12 or more words are shingled when they hold enough text: headlines, bylines,
datelines and "Sign up for ..." lines are short, and they are what differs between syndicated
copies of one story.

Fingerprints are stored (signed 64-bit, a BIGINT) and looked up through four 16-bit bands: when two
fingerprints are within NEAR_DUPLICATE_MAX_DISTANCE = 3 bits, at least one band is equal.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

NEAR_DUPLICATE_MAX_DISTANCE = 3

SHINGLE_WORDS = 3
BODY_PARAGRAPH_MIN_WORDS = 12
BODY_MIN_WORDS = 50  # below this, every paragraph is used
MAX_WORDS = 20_000  # longer texts are fingerprinted on their first MAX_WORDS words

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_MASK64 = (1 << 64) - 1
_PRIME = (1 << 61) - 1  # hash functions are h -> (a*h + b) mod p over 64-bit shingle hashes


def _coefficients() -> tuple[tuple[int, int], ...]:
    """64 fixed (a, b) pairs derived from their index; stored fingerprints depend on them."""
    pairs = []
    for index in range(64):
        digest = hashlib.blake2b(
            f"monitor.dedupe.minhash.{index}".encode(), digest_size=16
        ).digest()
        a = int.from_bytes(digest[:8], "big") % (_PRIME - 1) + 1
        b = int.from_bytes(digest[8:], "big") % _PRIME
        pairs.append((a, b))
    return tuple(pairs)


_HASH_FUNCTIONS = _coefficients()


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _body_words(text: str) -> list[str]:
    """Words of the text's long paragraphs, or of all of it when those are too few."""
    paragraphs = [_words(line) for line in text.splitlines()]
    body = [
        word for words in paragraphs if len(words) >= BODY_PARAGRAPH_MIN_WORDS for word in words
    ]
    if len(body) >= BODY_MIN_WORDS:
        return body[:MAX_WORDS]
    return [word for words in paragraphs for word in words][:MAX_WORDS]


def _shingle_hashes(words: list[str]) -> set[int]:
    size = min(SHINGLE_WORDS, len(words))
    return {
        int.from_bytes(
            hashlib.blake2b(" ".join(words[i : i + size]).encode(), digest_size=8).digest(), "big"
        )
        for i in range(len(words) - size + 1)
    }


def _signed(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def fingerprint(text: str) -> int:
    """64-bit fingerprint of `text` as a signed int64 (fits a BIGINT); 0 for text with no words."""
    words = _body_words(text)
    if not words:
        return 0
    hashes = _shingle_hashes(words)
    value = 0
    for bit, (a, b) in enumerate(_HASH_FUNCTIONS):
        smallest = min((a * h + b) % _PRIME for h in hashes)
        value |= (smallest & 1) << bit
    return _signed(value)


def fingerprint_bands(fp: int) -> tuple[int, int, int, int]:
    """The four 16-bit bands of a fingerprint (each 0..65535), lowest bits first.

    Pigeonhole: two fingerprints within 3 bits of each other have at least one equal band, so a
    lookup of candidates by "any band equal" misses no near-duplicate.
    """
    unsigned = fp & _MASK64
    return (
        unsigned & 0xFFFF,
        (unsigned >> 16) & 0xFFFF,
        (unsigned >> 32) & 0xFFFF,
        (unsigned >> 48) & 0xFFFF,
    )


def hamming_distance(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit fingerprints (signed or unsigned)."""
    return ((a ^ b) & _MASK64).bit_count()


def is_near_duplicate(a: int, b: int) -> bool:
    """True when two fingerprints are within NEAR_DUPLICATE_MAX_DISTANCE bits.

    0 means "no text", which is a duplicate of nothing.
    """
    if a == 0 or b == 0:
        return False
    return hamming_distance(a, b) <= NEAR_DUPLICATE_MAX_DISTANCE


def content_hash(text: str) -> str:
    """sha256 hex of the text with Unicode (NFKC), case and whitespace differences removed."""
    normal = _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()


# Labels that only say which server or edition answered, not who published.
_SERVICE_PREFIXES = ("www", "m", "amp", "feeds", "mobile", "edition", "rss", "feed")
# Second-level labels under a country code that act as public suffixes (bbc.co.uk, abc.net.au).
_SECOND_LEVEL = frozenset(
    {"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go", "gob", "nic", "mil", "ltd"}
)
# Hosting services where each subdomain is a separate publisher (alice.substack.com).
_SHARED_HOSTS = frozenset(
    {
        "blogspot.com", "wordpress.com", "substack.com", "medium.com", "github.io", "tumblr.com",
        "typepad.com", "livejournal.com", "wixsite.com", "ghost.io", "beehiiv.com",
        "netlify.app", "vercel.app", "pages.dev", "neocities.org", "blogger.com",
    }
)  # fmt: skip
# Hosts that relay other publishers' articles; the site name says who published.
_RELAY_HOSTS = frozenset({"feedproxy.google.com", "news.google.com", "feedburner.com"})


def publisher_of(url: str, site_name: str | None = None) -> str:
    """Who published an article, for counting independent sources, e.g. "bbc.co.uk".

    The registrable domain of the URL's host, lower case, without service labels (www., m.,
    amp., feeds., ...): news.bbc.co.uk and www.bbc.co.uk are both "bbc.co.uk", edition.cnn.com is
    "cnn.com", but alice.substack.com stays itself. IP addresses are returned as they are. When the
    URL has no host, or the host only relays others' articles (feedproxy.google.com), the
    normalised `site_name` is used; "" when neither says anything.
    """
    host = _host(url)
    relay = host in _RELAY_HOSTS or host.endswith(".feedburner.com")
    if host and not (relay and site_name and site_name.strip()):
        return _registrable(host)
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", site_name or "").casefold()).strip()


def _host(url: str) -> str:
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def _registrable(host: str) -> str:
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = [label for label in host.split(".") if label]
    keep = 2
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        keep = 3
    if ".".join(labels[-keep:]) in _SHARED_HOSTS:
        keep += 1
    if len(labels) > keep:
        return ".".join(labels[-keep:])
    while len(labels) > 2 and labels[0] in _SERVICE_PREFIXES:
        labels = labels[1:]
    return ".".join(labels)
