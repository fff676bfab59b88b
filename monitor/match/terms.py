"""Content terms of text for claim scoring: folded, lower-cased, stemmed, no stop words; pure."""

from __future__ import annotations

import re

from monitor.match.tokens import fold

_WORD = re.compile(r"[^\W_]+")

STOPWORDS = frozenset(
    str.split(
        """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours out
    over own s same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours"""
    )
) - {"not", "no", "only", "once", "against", "before", "after"}

# Irregular forms common in news copy, mapped to one stem so "said" meets "says".
_IRREGULAR = {
    "said": "say",
    "says": "say",
    "spoke": "speak",
    "spoken": "speak",
    "told": "tell",
    "met": "meet",
    "held": "hold",
    "won": "win",
    "wins": "win",
    "began": "begin",
    "begun": "begin",
}


def stem(word: str) -> str:
    """A crude suffix-stripping stem of a lower-case word: "activated" and "activate" meet."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def content_terms(text: str) -> list[str]:
    """The stemmed content words of text, in order, repeats kept."""
    words = _WORD.findall(fold(text).casefold())
    return [stem(w) for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
