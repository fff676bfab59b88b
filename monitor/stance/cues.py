"""Word lists for attribution, hedging, confirmation and denial, and a scorer of one sentence. Pure.

Weights are hand-set for the rule baseline: a denial outweighs a bare "said", so "Peskov denied
..., saying there was only one call" reads as a denial and not as a report.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from monitor.stance.lexical import NEGATIONS, Token, tokenize


def _phrases(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(t.stem for t in tokenize(phrase)) for phrase in text.split(","))


ATTRIBUTION = _phrases(
    "according to, report, reportedly, sources, source close, claim, allege, allegedly, rumour,"
    " rumor, rumoured, rumored, purportedly, apparently, unconfirmed, unverified, speculation,"
    " speculate, is said to, are said to, believed to, appears to, appear to, suggests, supposedly,"
    " declined to comment, reveal, revelation"
)
"""Strong signs that the article relays the claim from someone else or hedges it (weight 1)."""

SPEECH = _phrases("said, says, saying, say, told, stated, statement, wrote, tweeted")
"""Bare speech verbs: weak attribution (weight 0.5), outweighed by a denial or confirmation."""

CONFIRMATION = _phrases(
    "confirm, confirmation, acknowledge, admit, verified, officially announced, has announced"
)
"""First-hand confirmation (weight 1); negated ("did not confirm") it counts as a hedge."""

DENIAL = _phrases(
    "deny, denial, dismiss, reject, refute, debunk, false, falsely, untrue, not true, no evidence,"
    " no truth, hoax, fake, fabricate, baseless, nonsense, misleading, never happened, only one,"
    " just one, only once, downplay, satire, satirical, no such, not the case, contrary"
)
"""Denial or contradiction (weight 1.5); negated ("did not deny") it counts as a hedge."""

DENIAL_VERBS = _phrases(
    "deny, dismiss, reject, refute, debunk, false, falsely, untrue, not true, hoax, fake,"
    " fabricate, baseless, no truth, never happened"
)
"""Outright denial, as in "the Kremlin denied that ..." or "reports that ... are false"; the
weaker DENIAL cues ("only one", "downplay", "misleading") are left out (`RuleStance.read_cues`)."""

_NEGATION_REACH = 3
_DECLINE = frozenset({"declin", "refus", "fail"})


@dataclass(frozen=True, slots=True)
class CueScores:
    """How strongly one stretch of text reports, supports or refutes, and the cue words found."""

    reports: float = 0.0
    supports: float = 0.0
    refutes: float = 0.0

    def plus(self, other: CueScores, weight: float = 1.0) -> CueScores:
        """The sum of this and `other` scaled by `weight`."""
        return CueScores(
            self.reports + weight * other.reports,
            self.supports + weight * other.supports,
            self.refutes + weight * other.refutes,
        )


@functools.cache
def _by_first_stem(
    phrases: tuple[tuple[str, ...], ...],
) -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return {first: tuple(group) for first, group in index.items()}


def _find(
    stems: list[str], phrases: tuple[tuple[str, ...], ...], ignore: frozenset[str]
) -> list[int]:
    """Start positions of every occurrence of a phrase in `stems` not made only of `ignore`."""
    index = _by_first_stem(phrases)
    hits: list[int] = []
    for i, first in enumerate(stems):
        for phrase in index.get(first, ()):
            if tuple(stems[i : i + len(phrase)]) == phrase and not ignore.issuperset(phrase):
                hits.append(i)
                break
    return hits


def find_phrases(
    stems: list[str], phrases: tuple[tuple[str, ...], ...], ignore: frozenset[str] = frozenset()
) -> list[int]:
    """Start positions in `stems` of `phrases` (e.g. `DENIAL`), skipping those made of `ignore`."""
    return _find(stems, phrases, ignore)


def negated_at(tokens: list[Token], position: int) -> bool:
    """Whether a negation or "declined / refused / failed" stands just before `position`."""
    window = tokens[max(0, position - _NEGATION_REACH) : position]
    return any(t.text in NEGATIONS or t.stem in _DECLINE for t in window)


def score_sentence(tokens: list[Token], ignore: frozenset[str] = frozenset()) -> CueScores:
    """Cue scores of one sentence's tokens; a negated confirmation or denial becomes a hedge.

    Cues made only of stems in `ignore` (the claim's own words) do not count: an article that
    carries "there was only one call" supports the claim "the Kremlin says there was only one call".
    """
    stems = [t.stem for t in tokens]
    reports = len(_find(stems, ATTRIBUTION, ignore)) + 0.5 * len(_find(stems, SPEECH, ignore))
    supports = 0.0
    refutes = 0.0
    for position in _find(stems, CONFIRMATION, ignore):
        if negated_at(tokens, position):
            reports += 1.0
        else:
            supports += 1.0
    for position in _find(stems, DENIAL, ignore):
        if stems[position] != "not" and negated_at(tokens, position):
            reports += 0.5
        else:
            refutes += 1.5
    return CueScores(reports, supports, refutes)


def negation_near(tokens: list[Token], claim_stems: frozenset[str]) -> bool:
    """Whether a negation stands just before a (non-name) claim word, as in "did not meet"."""
    for position, token in enumerate(tokens):
        if token.stem in claim_stems and not token.capitalised and negated_at(tokens, position):
            window = tokens[max(0, position - _NEGATION_REACH) : position]
            if any(t.text in NEGATIONS for t in window):
                return True
    return False
