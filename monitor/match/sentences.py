"""Split text into sentences with character offsets, aware of abbreviations and quotes; pure.

Rules: a sentence ends at ".", "!", "?" or "…" (with any closing quotes or brackets after it)
when whitespace and then a capital letter or digit follow, possibly behind an opening quote or
bracket; not after a known abbreviation ("Mr.", "Dr.", "Inc.", "Oct."), a single initial
("Donald J. Trump") or a dotted initialism ("U.S.") unless the next word is a common sentence
opener ("U.S. The ..."). A blank line always ends a sentence; a single newline does too unless
the next line starts in lower case (hard-wrapped text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: its text, equal to the source text[start:end], without outer whitespace."""

    text: str
    start: int
    end: int


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREVIATIONS = _word_set(
    """mr mrs ms mx dr prof sen rep gov gen col lt sgt capt cmdr adm maj pres supt rev fr hon st
    jr sr inc corp co ltd llc plc bros dept univ assn est approx vs cf al e.g i.e
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    mt ft ave blvd rd"""
)
_BEFORE_NUMBER = _word_set("no nos vol fig pp p art ch sec")
_OPENERS = _word_set(
    """the a an he she it they we i you his her its their our this that these those there but
    and so yet in on at for after before when while if as however meanwhile still then"""
)
_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*")
_OPENING = "\"'\u201c\u2018([«"
_WORD_BEFORE = re.compile(r"([^\W\d_](?:[\w.'-]*\w)?)\.$")
_NEXT_WORD = re.compile(r"[^\W_]+")
_INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """The sentences of text, in order, with offsets into text."""
    cuts = sorted({*_line_cuts(text), *_punctuation_cuts(text)})
    sentences: list[Sentence] = []
    start = 0
    for cut in [*cuts, len(text)]:
        _append(sentences, text, start, cut)
        start = cut
    return tuple(sentences)


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        sentences.append(Sentence(text[start:end], start, end))


def _line_cuts(text: str) -> list[int]:
    cuts = [m.start() for m in _BLANK_LINE.finditer(text)]
    position = text.find("\n")
    while position != -1:
        following = text[position + 1 :].lstrip()
        if following and not following[0].islower():
            cuts.append(position)
        position = text.find("\n", position + 1)
    return cuts


def _punctuation_cuts(text: str) -> list[int]:
    cuts: list[int] = []
    for found in _END.finditer(text):
        end = found.end()
        rest = end
        while rest < len(text) and text[rest] in " \t\u00a0":
            rest += 1
        if rest == end or rest >= len(text) or text[rest] in "\r\n":
            continue  # no space after it, or a line cut handles it
        first = rest
        while first < len(text) and text[first] in _OPENING:
            first += 1
        if first >= len(text) or not (text[first].isupper() or text[first].isdigit()):
            continue
        if found.group() == "." and not _ends_sentence(text, found.start(), first):
            continue
        cuts.append(end)
    return cuts


def _ends_sentence(text: str, dot: int, next_start: int) -> bool:
    """Whether the single period at text[dot] ends a sentence, given the next word's start."""
    before = _WORD_BEFORE.search(text, max(0, dot - 40), dot + 1)
    if before is None:
        return True
    word = before.group(1)
    lowered = word.casefold()
    next_word = _NEXT_WORD.match(text, next_start)
    following = next_word.group() if next_word else ""
    if lowered in _ABBREVIATIONS:
        return False
    if lowered in _BEFORE_NUMBER and following[:1].isdigit():
        return False
    if len(word) == 1 and word.isupper():
        return False  # an initial: "Donald J. Trump"
    if _INITIALISM.fullmatch(word):
        return following.casefold() in _OPENERS
    return True
