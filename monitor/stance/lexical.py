"""Sentence splitting, word tokens, a crude stemmer and stop words for the stance rules. Pure.

Private to the stance package: deliberately small and independent of `monitor.match`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_STOP_WORD_TEXT = """
    a about above according after again against all also am an and any are as at be because
    been before being below between both but by can could day days did do does doing down dr
    during each few for from further had has have having he her here hers herself him himself
    his how i if in into is it its itself just may me might more most mr mrs ms must my myself
    new now of off on once one only or other our ours ourselves out over own per report
    reported reportedly reports said same say saying says shall she should since so some such
    tells than that the their theirs them themselves then there these they this those through
    time to today told too two under until up us very via was we week weeks were what when
    where which while who whom why will with would year years yesterday you your yours yourself
    yourselves
"""
STOP_WORDS = frozenset(_STOP_WORD_TEXT.split())
"""Function words plus reporting verbs: neither tells what a claim is about."""

NEGATIONS = frozenset({"not", "no", "never", "nor", "none", "nothing", "neither", "without"})

_ABBREVIATION_TEXT = """
    apr aug co col corp dec dr e.g etc feb fig gen gov i.e inc jan jr jul jun lt ltd mar mr mrs
    ms no nov oct pres prof rep sen sep sept sgt sr st u.k u.s vs
"""
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
_SENTENCE_END = re.compile(r"([.!?][\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?(?:[-.][A-Za-z0-9]+)*")
_IRREGULAR = {
    "said": "say",
    "says": "say",
    "tells": "tell",
    "told": "tell",
    "spoke": "speak",
    "spoken": "speak",
    "met": "meet",
}
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ied", "ies", "ed", "es", "ly", "s")


@dataclass(frozen=True, slots=True)
class Token:
    """One word: its lower-cased `text` (n't expanded to `not`), `stem`, and whether capitalised."""

    text: str
    stem: str
    capitalised: bool


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences at paragraph breaks and sentence-final punctuation."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=[A-Z\"“])", text):
        start = 0
        flat = " ".join(paragraph.split())
        for match in _SENTENCE_END.finditer(flat):
            end = match.end(1)
            before = flat[start : match.start()].rsplit(" ", 1)[-1].lower()
            if before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha()):
                continue
            sentences.append(flat[start:end].strip())
            start = match.end()
        sentences.append(flat[start:].strip())
    return [sentence for sentence in sentences if sentence]


@lru_cache(maxsize=1 << 16)  # a news vocabulary: most words recur across articles and claims
def stem(word: str) -> str:
    """A crude suffix stripper: enough to equate "denied"/"denies"/"deny" and "calls"/"call"."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.isdigit() or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            root = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return root + "y"
            return root
    return word


def tokenize(text: str) -> list[Token]:
    """Words of `text` in order; possessive 's is dropped and n't becomes a separate `not`."""
    tokens: list[Token] = []
    for match in _WORD.finditer(text):
        raw = match.group(0).replace("’", "'")
        lower = raw.lower()
        negated = lower.endswith("n't")
        if negated:
            lower = lower[:-3]
        elif lower.endswith("'s"):
            lower = lower[:-2]
        if "." in lower:
            lower = lower.replace(".", "")
            lower = "usa" if lower == "us" else lower
        if lower:
            tokens.append(Token(lower, stem(lower), raw[0].isupper()))
        if negated:
            tokens.append(Token("not", "not", False))
    return tokens


def content_stems(tokens: list[Token]) -> list[str]:
    """Stems of the tokens that are not stop words or negations, in order."""
    return [t.stem for t in tokens if t.text not in STOP_WORDS and t.text not in NEGATIONS]


@dataclass(frozen=True, slots=True)
class ArticleText:
    """An article split into sentences and tokenized once, to be judged against many claims."""

    sentences: tuple[str, ...]
    tokens: tuple[list[Token], ...]  # one list per sentence
    # The stems of each sentence, as a set: what every claim's relatedness is measured against.
    stem_sets: tuple[frozenset[str], ...] = field(init=False, repr=False, compare=False)
    all_stems: frozenset[str] = field(init=False, repr=False, compare=False)  # their union

    def __post_init__(self) -> None:
        stem_sets = tuple(frozenset(t.stem for t in tokens) for tokens in self.tokens)
        object.__setattr__(self, "stem_sets", stem_sets)
        object.__setattr__(self, "all_stems", frozenset().union(*stem_sets))

    @classmethod
    def read(cls, text: str) -> ArticleText:
        sentences = tuple(split_sentences(text))
        return cls(sentences, tuple(tokenize(sentence) for sentence in sentences))

    @property
    def words(self) -> int:
        return sum(len(tokens) for tokens in self.tokens)
