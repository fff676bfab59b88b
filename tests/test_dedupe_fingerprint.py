"""Fingerprints, bands, Hamming distance and content hashes: tables and properties."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.dedupe import (
    NEAR_DUPLICATE_MAX_DISTANCE,
    content_hash,
    fingerprint,
    fingerprint_bands,
    hamming_distance,
    is_near_duplicate,
)

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
SENTENCE = (
    "The central bank raised interest rates by a quarter point on Thursday, citing inflation."
)


@pytest.mark.parametrize("text", ["", "   \n\t ", "!!! ... ---", "\u200b"])
def test_text_without_words_has_fingerprint_zero(text: str) -> None:
    assert fingerprint(text) == 0


def test_fingerprint_is_a_signed_int64_and_stable_across_runs() -> None:
    value = fingerprint(SENTENCE)
    assert -(2**63) <= value < 2**63
    # Stored in the database: a change here makes every stored fingerprint stale.
    assert value == 7794799874935074414


def test_pinned_value_matches_an_independent_computation() -> None:
    words = SENTENCE.casefold().replace(",", "").replace(".", "").split()
    shingles = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    hashes = {
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in shingles
    }
    prime = (1 << 61) - 1
    value = 0
    for bit in range(64):
        digest = hashlib.blake2b(f"monitor.dedupe.minhash.{bit}".encode(), digest_size=16).digest()
        a = int.from_bytes(digest[:8], "big") % (prime - 1) + 1
        b = int.from_bytes(digest[8:], "big") % prime
        value |= (min((a * h + b) % prime for h in hashes) & 1) << bit
    expected = value - (1 << 64) if value >= 1 << 63 else value
    assert fingerprint(SENTENCE) == expected


@pytest.mark.parametrize(
    "variant",
    [
        SENTENCE.upper(),
        SENTENCE.replace(" ", "   \n "),
        SENTENCE.replace(",", " -- ").replace(".", "!"),
        "ＴＨＥ" + SENTENCE.removeprefix("The"),
    ],
    ids=["case", "whitespace", "punctuation", "fullwidth"],
)
def test_case_space_punctuation_and_width_do_not_matter(variant: str) -> None:
    assert fingerprint(variant) == fingerprint(SENTENCE)


def test_short_texts_still_get_a_fingerprint() -> None:
    assert fingerprint("Hello") != 0
    assert fingerprint("Hello world") != fingerprint("Hello there")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        (0, 0, 0),
        (0, 1, 1),
        (0, -1, 64),
        (1, 2, 2),
        (-1, 2**63 - 1, 1),
        (-(2**63), 0, 1),
        (0x0F0F, 0x00FF, 8),
        (2**64 - 1, -1, 0),  # unsigned and signed spellings of the same bits
    ],
)
def test_hamming_distance(a: int, b: int, distance: int) -> None:
    assert hamming_distance(a, b) == distance == hamming_distance(b, a)


@pytest.mark.parametrize(
    ("fp", "bands"),
    [
        (0, (0, 0, 0, 0)),
        (0x0123456789ABCDEF, (0xCDEF, 0x89AB, 0x4567, 0x0123)),
        (-1, (0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF)),
        (-(2**63), (0, 0, 0, 0x8000)),
    ],
)
def test_fingerprint_bands(fp: int, bands: tuple[int, int, int, int]) -> None:
    assert fingerprint_bands(fp) == bands


@given(fp=INT64, flips=st.lists(st.integers(0, 63), max_size=NEAR_DUPLICATE_MAX_DISTANCE))
def test_near_duplicates_always_share_a_band(fp: int, flips: list[int]) -> None:
    other = fp
    for bit in flips:
        other ^= 1 << bit
    other = other - (1 << 64) if other >= 1 << 63 else other
    assert is_near_duplicate(fp, other) or 0 in (fp, other)
    assert any(x == y for x, y in zip(fingerprint_bands(fp), fingerprint_bands(other), strict=True))


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        (0b1, 0b1, True),
        (0b1, 0b1111, True),  # 3 bits apart
        (0b1, 0b11111, False),  # 4 bits apart
        (0, 0, False),  # no text is a duplicate of nothing
        (0, 1, False),
    ],
)
def test_is_near_duplicate(a: int, b: int, near: bool) -> None:
    assert is_near_duplicate(a, b) is near


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Hello World", "hello   world", True),
        ("Hello\nWorld\t", " HELLO WORLD", True),
        ("ﬁne", "fine", True),  # NFKC folds the ligature
        ("Hello World", "Hello, World", False),
        ("", "   ", True),
    ],
)
def test_content_hash(a: str, b: str, same: bool) -> None:
    assert (content_hash(a) == content_hash(b)) is same
    assert len(content_hash(a)) == 64 and int(content_hash(a), 16) >= 0


def test_content_hash_is_sha256_of_the_normal_form() -> None:
    assert content_hash("  Hello \n World ") == hashlib.sha256(b"hello world").hexdigest()
