"""Claims that are attributed statements ("X says ...") and whether an article carries them. Pure.

A claim such as "Kremlin spokesman Dmitry Peskov says there was only one call" is about what
Peskov says, not about the call: an article that carries Peskov saying it supports the claim, even
though the statement itself is a denial. How an article is read against such a claim:

- the speaker is found by its keys (its last capitalised word, e.g. a surname, and any capitalised
  word followed by a title such as "Kremlin spokesman"), by names the article itself gives the
  speaker ("Kremlin spokesman Dmitry Peskov" makes "Peskov" stand for "the Kremlin"), or by a
  pronoun ("he said") right after a sentence naming the speaker;
- a sentence carries the statement when the speaker is the nearest name before a speech verb
  ("said", "told", "according to") or right after it, and the sentence covers most of the
  statement's content words with the same polarity (a negation or denial word in both or neither);
- the speaker negating what the claim has them assert is saying the opposite (a positive wording
  of a negative claim is left to the usual rules: the negation may be worded otherwise);
- a negated speech verb ("never said") or a retraction ("walked back", "denied saying") over the
  statement's content is a refutation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.stance.claim_words import ClaimWords, read_claim_words
from monitor.stance.cues import DENIAL, find_phrases, negation_near
from monitor.stance.lexical import NEGATIONS, STOP_WORDS, Token, tokenize
from monitor.stance.types import Stance

_CLAIM_VERBS = (
    r"says|said|stated|states|claims|claimed|insists|insisted|maintains|maintained|asserts"
    r"|asserted|argues|argued|told\s+\w+(?:\s+\w+)?"
)
_LEADING = re.compile(
    rf"^(?P<speaker>[^,;:\"“]{{2,80}}?)\s+(?:{_CLAIM_VERBS})\s+(?:that\s+)?(?P<content>.+)$"
)
_ACCORDING = re.compile(r"^according\s+to\s+(?P<speaker>[^,]{2,80}),\s*(?P<content>.+)$", re.I)
_TRAILING = re.compile(
    rf"^(?P<content>.+),\s*(?P<speaker>[^,;:\"“]{{2,60}}?)\s+(?:{_CLAIM_VERBS})[.!]?$"
)
_MAX_SPEAKER_WORDS = 8
_GENERIC_SPEAKERS_TEXT = (
    "report reports sources source officials critics analysts experts observers media rumours"
    " rumors some many people study studies research scientists researchers"
)
_GENERIC_SPEAKERS = frozenset(_GENERIC_SPEAKERS_TEXT.split())
_TITLES_TEXT = (
    "spokesman spokeswoman spokesperson press secretary minister chief official aide deputy"
    " president ambassador director head leader ceo founder chairman envoy adviser advisor"
    " representative"
)
_TITLES = frozenset(_TITLES_TEXT.split())
_SPEECH_STEMS_TEXT = (
    "say tell stat statement insist add claim explain maintain stress tweet wrote remark"
)
_SPEECH_STEMS = frozenset(_SPEECH_STEMS_TEXT.split())
_SPEAKER_FILLERS = _TITLES | {"the", "a", "an", "of", "and", "for"}
_NOT_CLAUSE_STARTS = frozenset({"of", "about", "by", "for", "from", "on", "in", "with", "to"})
_CALENDAR_TEXT = (
    "monday tuesday wednesday thursday friday saturday sunday january february march april may"
    " june july august september october november december"
)
_CALENDAR = frozenset(_CALENDAR_TEXT.split())
_ACCORDING_STEM = "accord"
_PRONOUNS = frozenset({"he", "she", "they", "it"})
_OBJECT_PRONOUNS = frozenset({"that", "so", "this", "it", "anything"})
_RETRACTION_STEMS = frozenset({"retract", "withdrew", "backtrack", "misquot", "misquote"})
_BEFORE_VERB, _AFTER_VERB, _AFTER_ACCORDING = 6, 3, 5
_CARRIES = 0.6
"""Share of the statement's (weighted) content words a sentence must hold to carry it."""


@dataclass(frozen=True, slots=True)
class Statement:
    """A claim read as `speaker` saying `content`; `keys` are the stems that name the speaker."""

    speaker: str
    content: str
    keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class StatementVerdict:
    """What an article does with a statement claim, the sentence it rests on and its coverage."""

    stance: Stance
    sentence: int
    coverage: float


def parse_statement(claim: str) -> Statement | None:
    """`claim` read as an attributed statement, or None when it is not one."""
    text = " ".join(claim.split()).rstrip(".!")
    for pattern in (_ACCORDING, _LEADING, _TRAILING):
        match = pattern.match(text)
        if match is None:
            continue
        speaker, content = match.group("speaker").strip(), match.group("content").strip()
        words = tokenize(speaker)
        keys = _speaker_keys(words)
        noun_phrase = all(t.capitalised or t.text in _SPEAKER_FILLERS for t in words)
        if keys and noun_phrase and len(words) <= _MAX_SPEAKER_WORDS and _is_clause(content):
            return Statement(speaker, content, keys)
    return None


def _is_clause(content: str) -> bool:
    """Whether `content` can be what was said (not "of ..." as in "claims of organ harvesting")."""
    words = tokenize(content)
    return len(words) >= 2 and words[0].text not in _NOT_CLAUSE_STARTS


def _speaker_keys(tokens: list[Token]) -> frozenset[str]:
    names = [
        (i, t)
        for i, t in enumerate(tokens)
        if t.capitalised and t.text not in STOP_WORDS and t.text not in _TITLES
    ]
    if not names or any(t.text in _GENERIC_SPEAKERS for _, t in names):
        return frozenset()
    keys = {names[-1][1].stem}
    for index, token in names:
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is not None and following.text in _TITLES:
            keys.add(token.stem)
    return frozenset(keys)


def _aliases(keys: frozenset[str], sentences: list[list[Token]]) -> frozenset[str]:
    """Names the article gives the speaker: "Kremlin spokesman Dmitry Peskov" -> "peskov"."""
    found = set(keys)
    for tokens in sentences:
        for index, token in enumerate(tokens):
            if token.stem not in keys:
                continue
            last: str | None = None
            for follower in tokens[index + 1 : index + 6]:
                if follower.capitalised and follower.text not in STOP_WORDS:
                    last = follower.stem
                elif follower.text not in _TITLES:
                    break
            if last is not None:
                found.add(last)
    return frozenset(found)


def _nearest_name(tokens: Iterable[Token], skip_only: bool = False) -> str | None:
    """The stem of the first name in `tokens` (dates skipped); with `skip_only`, only titles and
    articles may come before it ("said Kremlin spokesman Dmitry Peskov", not "said the call")."""
    for token in tokens:
        if token.capitalised and token.text not in STOP_WORDS and token.text not in _CALENDAR:
            return token.stem
        if skip_only and token.text not in _SPEAKER_FILLERS:
            return None
    return None


def _speech_links(tokens: list[Token], names: frozenset[str], named_before: bool) -> list[int]:
    """Positions of speech verbs in `tokens` attributed to the speaker."""
    links: list[int] = []
    for position, token in enumerate(tokens):
        if token.stem == _ACCORDING_STEM:
            after = tokens[position + 1 : position + 1 + _AFTER_ACCORDING]
            if any(t.stem in names for t in after):
                links.append(position)
            continue
        if token.stem not in _SPEECH_STEMS:
            continue
        leading = _nearest_name(reversed(tokens[max(0, position - _BEFORE_VERB) : position]))
        trailing = _nearest_name(tokens[position + 1 : position + 1 + _AFTER_VERB], skip_only=True)
        pronoun = named_before and any(
            t.text in _PRONOUNS for t in tokens[max(0, position - 2) : position]
        )
        if leading in names or trailing in names or pronoun:
            links.append(position)
    return links


def _negative(tokens: list[Token], content: ClaimWords) -> bool:
    """Whether a stretch of words says its content in the negative (a negation or denial cue)."""
    if find_phrases([t.stem for t in tokens], DENIAL):
        return True
    return negation_near(tokens, frozenset(content.weights))


def _negated_verb(tokens: list[Token], position: int) -> bool:
    window = tokens[max(0, position - 3) : position]
    return any(t.text in NEGATIONS for t in window)


def _retracts(tokens: list[Token], position: int, content: ClaimWords, cover: float) -> bool:
    """A negated speech verb ("never said") or retraction over the statement's content."""
    before = [t.stem for t in tokens[max(0, position - 3) : position]]
    retraction = (
        any(stem in _RETRACTION_STEMS for stem in before[-2:])
        or before[-1:] == ["deny"]
        or ("walk" in before and "back" in before)
    )
    if not (_negated_verb(tokens, position) or retraction):
        return False
    rest = tokens[position + 1 :]
    points_back = bool(rest) and rest[0].text in _OBJECT_PRONOUNS and len(rest) <= 2
    return cover >= _CARRIES or points_back


def judge_statement(statement: Statement, sentences: list[list[Token]]) -> StatementVerdict | None:
    """Supports when the article carries the statement, refutes when the speaker retracts it or
    says the opposite; None when the article does neither (the usual rules then decide)."""
    content = read_claim_words(statement.content)
    names = _aliases(statement.keys, sentences)
    carried: StatementVerdict | None = None
    opposite: StatementVerdict | None = None
    claim_negative = _negative(tokenize(statement.content), content)
    for index, tokens in enumerate(sentences):
        named_before = index > 0 and any(t.stem in names for t in sentences[index - 1])
        cover = content.coverage({t.stem for t in tokens})
        for position in _speech_links(tokens, names, named_before):
            if _retracts(tokens, position, content, cover):
                return StatementVerdict(Stance.REFUTES, index, cover)
            if cover < _CARRIES or _negated_verb(tokens, position):
                continue
            said = tokens[position + 1 :] if len(tokens) - position > 3 else tokens[:position]
            said_negative = _negative(said, content)
            if said_negative == claim_negative:
                carried = carried or StatementVerdict(Stance.SUPPORTS, index, cover)
            elif said_negative:
                opposite = opposite or StatementVerdict(Stance.REFUTES, index, cover)
    return carried or opposite
