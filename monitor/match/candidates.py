"""Claims an article may speak to: an entity gate, then BM25-weighted sentence overlap; pure.

A claim is a candidate for an article when both hold:

1. **Entity gate.** The article names the claim's core entities: all of them when the claim has
   one or two, at least two of them when it has more (``required_entities``). Claims are indexed
   by these entity sets (each claim under its entity, its pair, or every pair of its entities), so
   an article only ever touches the claims that pass the gate: the cost per article grows with the
   entities it names and the claims it selects, not with the size of the watchlist.
2. **Close sentences.** At least one sentence names one of the claim's entities and covers at
   least ``min_coverage`` of the claim's content. Coverage is BM25 with the *claims as the
   corpus*: each content term of a claim weighs its BM25 term weight in that claim (IDF over all
   claims, so words common to the watchlist weigh little), normalised so a claim's terms sum to
   one; a sentence covers the weights of the claim terms it contains. Entity names are masked out
   of both sides and counted separately. Claims are the corpus, not the article's sentences,
   because the weights can then be computed once at build time and do not collapse on one- or
   two-sentence articles, where an article-based IDF has nothing to go on.

A sentence's score is its coverage plus ENTITY_WEIGHT times the share of the claim's entities it
names; a candidate's score is that of its best sentence.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from monitor.match.entities import EntityMatcher, EntityMention
from monitor.match.sentences import Sentence, split_sentences
from monitor.match.terms import content_terms
from monitor.settings import ClaimSettings

MAX_REQUIRED_ENTITIES = 2
ENTITY_WEIGHT = 0.5
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True, slots=True)
class Candidate:
    """A claim the article may speak to, with its best sentences (best first)."""

    claim_id: str
    score: float
    sentences: tuple[Sentence, ...]
    entities: tuple[str, ...]  # the claim's entities that the article names, in claim order


@dataclass(frozen=True, slots=True)
class _Claim:
    claim_id: str
    entities: tuple[str, ...]
    weights: dict[str, float]  # content term -> normalised BM25 weight; empty: all entities


def required_entities(claim_entities: Sequence[str]) -> int:
    """How many of a claim's distinct entities an article must name for the claim to be checked."""
    return min(len(set(claim_entities)), MAX_REQUIRED_ENTITIES)


def _gate_keys(entities: Iterable[str], size: int) -> list[tuple[str, ...]]:
    return list(combinations(sorted(set(entities)), size))


class ClaimIndex:
    """Claims indexed by entity sets and weighted terms; build once per watchlist, reuse."""

    def __init__(self, claims: tuple[_Claim, ...], min_coverage: float) -> None:
        self._claims = claims
        self._min_coverage = min_coverage
        self._by_key: dict[tuple[str, ...], list[int]] = {}
        self._by_entity: dict[str, list[int]] = {}
        for number, claim in enumerate(claims):
            for key in _gate_keys(claim.entities, required_entities(claim.entities)):
                self._by_key.setdefault(key, []).append(number)
            for entity in set(claim.entities):
                self._by_entity.setdefault(entity, []).append(number)

    def __len__(self) -> int:
        return len(self._claims)

    @classmethod
    def build(
        cls, claims: Sequence[ClaimSettings], matcher: EntityMatcher, *, min_coverage: float = 0.15
    ) -> ClaimIndex:
        """Index these claims; the matcher masks entity names out of the claim texts."""
        bags = [Counter(_masked_terms(c.text, matcher.find(c.text), 0)) for c in claims]
        total = sum(sum(bag.values()) for bag in bags)
        average = total / len(bags) if total else 1.0
        frequency = Counter(term for bag in bags for term in bag)
        indexed: list[_Claim] = []
        for claim, bag in zip(claims, bags, strict=True):
            length = sum(bag.values())
            raw: dict[str, float] = {}
            for term, count in bag.items():
                idf = math.log(1 + (len(bags) - frequency[term] + 0.5) / (frequency[term] + 0.5))
                norm = count + BM25_K1 * (1 - BM25_B + BM25_B * length / average)
                raw[term] = idf * count * (BM25_K1 + 1) / norm
            scale = sum(raw.values())
            weights = {t: w / scale for t, w in raw.items()} if scale > 0 else {}
            indexed.append(_Claim(claim.id, tuple(dict.fromkeys(claim.entities)), weights))
        return cls(tuple(indexed), min_coverage)

    def candidates(
        self, article_text: str, mentions: Sequence[EntityMention], *, top_sentences: int = 3
    ) -> list[Candidate]:
        """Claims the article may speak to, best first, each with up to top_sentences sentences."""
        named = {m.entity_id for m in mentions}
        gated = self._gated(named)
        if not gated:
            return []
        sentences = split_sentences(article_text)
        placed = _place(sentences, mentions)
        terms: dict[int, frozenset[str]] = {}
        found: list[Candidate] = []
        for number in sorted(gated):
            claim = self._claims[number]
            scored: list[tuple[float, int]] = []
            for index in sorted({i for e in claim.entities for i in placed.sentences_of(e)}):
                if index not in terms:
                    sentence = sentences[index]
                    masked = _masked_terms(sentence.text, placed.in_sentence(index), sentence.start)
                    terms[index] = frozenset(masked)
                score = self._sentence_score(claim, terms[index], placed.entities_in(index))
                if score is not None:
                    scored.append((score, index))
            if scored:
                scored.sort(key=lambda pair: (-pair[0], pair[1]))
                best = tuple(sentences[i] for _, i in scored[:top_sentences])
                names = tuple(e for e in claim.entities if e in named)
                found.append(Candidate(claim.claim_id, round(scored[0][0], 6), best, names))
        found.sort(key=lambda c: (-c.score, c.claim_id))
        return found

    def _gated(self, named: set[str]) -> set[int]:
        """Claims whose entity gate the named entities pass; looked up the cheaper way."""
        gated: set[int] = set()
        for key in _gate_keys(named, 1):
            gated.update(self._by_key.get(key, ()))
        pair_lookups = len(named) * (len(named) - 1) // 2
        posting_sizes = sum(len(self._by_entity.get(e, ())) for e in named)
        if pair_lookups <= posting_sizes:
            for key in _gate_keys(named, 2):
                gated.update(self._by_key.get(key, ()))
        else:
            counts = Counter(n for e in named for n in self._by_entity.get(e, ()))
            gated.update(
                n for n, c in counts.items() if c >= required_entities(self._claims[n].entities)
            )
        return gated

    def _sentence_score(
        self, claim: _Claim, terms: frozenset[str], entities: set[str]
    ) -> float | None:
        shared = sum(1 for e in claim.entities if e in entities)
        if not shared:
            return None
        coverage = sum(w for t, w in claim.weights.items() if t in terms) if claim.weights else 1.0
        if coverage < self._min_coverage:
            return None
        return coverage + ENTITY_WEIGHT * shared / len(claim.entities)


class _Placement:
    """Which mentions fall in which sentence."""

    def __init__(self, by_sentence: list[list[EntityMention]]) -> None:
        self._by_sentence = by_sentence
        self._entities = [{m.entity_id for m in ms} for ms in by_sentence]
        self._sentences: dict[str, list[int]] = {}
        for index, ids in enumerate(self._entities):
            for entity in ids:
                self._sentences.setdefault(entity, []).append(index)

    def sentences_of(self, entity: str) -> list[int]:
        return self._sentences.get(entity, [])

    def entities_in(self, index: int) -> set[str]:
        return self._entities[index]

    def in_sentence(self, index: int) -> list[EntityMention]:
        return self._by_sentence[index]


def _place(sentences: Sequence[Sentence], mentions: Sequence[EntityMention]) -> _Placement:
    starts = [s.start for s in sentences]
    by_sentence: list[list[EntityMention]] = [[] for _ in sentences]
    for mention in mentions:
        index = bisect_right(starts, mention.start) - 1
        if index >= 0 and mention.end <= sentences[index].end:
            by_sentence[index].append(mention)
    return _Placement(by_sentence)


def _masked_terms(text: str, mentions: Iterable[EntityMention], base: int) -> list[str]:
    """Content terms of text with the mentions blanked; text starts at offset base."""
    chars = list(text)
    for mention in mentions:
        low, high = max(mention.start - base, 0), min(mention.end - base, len(chars))
        chars[low:high] = " " * max(high - low, 0)
    return content_terms("".join(chars))
