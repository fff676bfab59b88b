"""Length-preserving text folding (accents, apostrophes, dashes) and match tokens; pure."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

_APOSTROPHES = "\u2019\u2018\u02bc\u2032\u00b4\u201b"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"

# A word: letters and digits, possibly joined by inner apostrophes ("Xi'an", "O'Brien").
# A possessive "'s" is a token of its own; so is any other character that is not a space, a
# hyphen or an underscore.
# Combining accents (text not in NFC, "Pesko\u0301v") belong to their word and drop from its key.
_LETTERS = r"(?:[^\W_]|[\u0300-\u036f])+"
_TOKEN = re.compile(rf"{_LETTERS}(?:'(?!s\b){_LETTERS})*|'s\b|[^\w\s\-\u0300-\u036f]")
_COMBINING = re.compile(r"[\u0300-\u036f]")


class _FoldTable(dict[int, str]):
    """str.translate table that maps each character to exactly one folded character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if char in _APOSTROPHES:
            folded = "'"
        elif char in _DASHES:
            folded = "-"
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            folded = base if len(base) == 1 else char
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Text with accents stripped and apostrophes and dashes unified, of the same length.

    Every character maps to exactly one character, so offsets into the folded text are offsets
    into the original ("Peskóv" -> "Peskov", "Putin’s" -> "Putin's", "X–ray" -> "X-ray").
    """
    if text.isascii():
        return text
    return text.translate(_FOLD)


class Tokens(NamedTuple):
    """The tokens of folded text: lower-cased keys and their character spans, as parallel lists."""

    keys: list[str]
    starts: list[int]
    ends: list[int]


def _lower_in_place(folded: str) -> str:
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else c for c in folded)


def tokenize(folded: str) -> Tokens:
    """Tokens of folded text; hyphens and spaces separate, a possessive "'s" is its own token."""
    lowered = _lower_in_place(folded)
    found = list(_TOKEN.finditer(lowered))
    keys = [m.group() for m in found]
    if _COMBINING.search(lowered):
        keys = [_COMBINING.sub("", key) for key in keys]
    return Tokens(keys, [m.start() for m in found], [m.end() for m in found])
