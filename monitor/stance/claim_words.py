"""The weighted content words of a claim and how much of them a stretch of text covers. Pure."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from monitor.stance.lexical import content_stems, tokenize

NAME_WEIGHT = 1.5
"""Weight of a name or number among a claim's content words (other words weigh 1)."""


@dataclass(frozen=True, slots=True)
class ClaimWords:
    """A claim's content stems with their weights, and the stems of all its words."""

    weights: dict[str, float]
    all_stems: frozenset[str]

    @property
    def total(self) -> float:
        """The sum of the weights."""
        return sum(self.weights.values())

    def coverage(self, stems: AbstractSet[str]) -> float:
        """The weighted share of the content stems found in `stems`, in [0, 1]."""
        if not self.weights:
            return 0.0
        return sum(w for stem, w in self.weights.items() if stem in stems) / self.total


def read_claim_words(claim: str) -> ClaimWords:
    """The weighted content words of `claim`: names (not the first word) and numbers weigh more."""
    tokens = tokenize(claim)
    weights: dict[str, float] = {}
    content = set(content_stems(tokens))
    for index, token in enumerate(tokens):
        if token.stem in content:
            named = token.text.isdigit() or (token.capitalised and index > 0)
            weight = NAME_WEIGHT if named else 1.0
            weights[token.stem] = max(weights.get(token.stem, 0.0), weight)
    return ClaimWords(weights, frozenset(t.stem for t in tokens))
