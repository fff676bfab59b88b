"""Find tracked entities in text with one token trie built from every alias; pure.

Matching rules, in order:
* text and aliases are folded alike (accents, apostrophes, dashes; see tokens.fold), and a hyphen
  equals a space ("X-ray" = "X ray"); matches start and end on token boundaries, so "Trump" is not
  found in "Trumpet" nor "Xi" in "Xian" or "Xi'an";
* a possessive "'s" is its own token, so "Musk's" and "Putin’s" match "Musk" and "Putin" (the
  mention's span and surface are the name without the "'s");
* a short all-capitals alias (at most four letters: "US", "U.S.", "WSJ", "PRC", "X") matches only
  in those capitals; any other alias matches in any case, except that an alias written with a
  capital letter does not match text written wholly in lower case ("trump", "musk", "china");
* a negative alias of an entity ("X-ray", "Generation X", "trump card") that contains a match of
  that entity drops that match; it does not affect other entities ("Tesla Model X" keeps Tesla);
* overlapping matches: the longest wins; on a tie the earlier one, then the entity listed first;
* matches of one entity separated only by whitespace are one mention ("Kremlin spokesman Dmitry
  Peskov", "Russian President Vladimir Putin").

The trie is keyed by tokens, so the cost of find() grows with the text, not with the number of
entities or aliases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.match.tokens import Tokens, fold, tokenize
from monitor.settings import EntitySettings

_SHORT_CAPS_LETTERS = 4


@dataclass(frozen=True, slots=True)
class EntityMention:
    """One occurrence of a tracked entity: text[start:end] == surface."""

    entity_id: str
    start: int
    end: int
    surface: str


@dataclass(frozen=True, slots=True)
class _Alias:
    entity_id: str
    order: int  # position of the entity in the configuration: breaks ties
    negative: bool
    exact: str | None  # the folded alias, when it must match case-sensitively
    capitalized: bool  # written with a capital: does not match all-lowercase text


class _Node:
    __slots__ = ("aliases", "children")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.aliases: list[_Alias] = []


@dataclass(frozen=True, slots=True)
class _Hit:
    alias: _Alias
    start: int
    end: int


def is_short_caps(alias: str) -> bool:
    """True for aliases matched case-sensitively: one to four letters, all capitals."""
    letters = [c for c in alias if c.isalpha()]
    return 0 < len(letters) <= _SHORT_CAPS_LETTERS and all(c.isupper() for c in letters)


def _spaced(tokens: Tokens, first: int, last: int, folded: str) -> str:
    """The folded text of tokens first..last (inclusive), joined by single spaces."""
    return " ".join(folded[tokens.starts[k] : tokens.ends[k]] for k in range(first, last + 1))


class EntityMatcher:
    """Finds the configured entities (by name and aliases) in text; build once, reuse."""

    def __init__(self, root: _Node, entity_ids: tuple[str, ...]) -> None:
        self._root = root
        self.entity_ids = entity_ids

    @classmethod
    def from_settings(cls, entities: Sequence[EntitySettings]) -> EntityMatcher:
        """Compile the names, aliases and negative aliases of these entities into one trie."""
        root = _Node()
        for order, entity in enumerate(entities):
            seen: set[tuple[str, bool]] = set()
            phrases = [(entity.name, False), *((a, False) for a in entity.aliases)]
            phrases += [(a, True) for a in entity.negative_aliases]
            for phrase, negative in phrases:
                folded = fold(phrase.strip())
                tokens = tokenize(folded)
                if not tokens.keys or (folded, negative) in seen:
                    continue
                seen.add((folded, negative))
                last = len(tokens.keys) - 1
                exact = _spaced(tokens, 0, last, folded) if is_short_caps(phrase) else None
                alias = _Alias(
                    entity.id, order, negative, exact, capitalized=folded != folded.lower()
                )
                node = root
                for key in tokens.keys:
                    node = node.children.setdefault(key, _Node())
                node.aliases.append(alias)
        return cls(root, tuple(e.id for e in entities))

    def find(self, text: str) -> tuple[EntityMention, ...]:
        """Every mention of a tracked entity in text, in order of position, never overlapping."""
        folded = fold(text)
        tokens = tokenize(folded)
        hits: list[_Hit] = []
        negatives: list[_Hit] = []
        root_children = self._root.children
        keys = tokens.keys
        count = len(keys)
        for i, key in enumerate(keys):
            node = root_children.get(key)
            j = i
            while node is not None:
                for alias in node.aliases:
                    hit = self._accept(alias, tokens, i, j, folded)
                    if hit is not None:
                        (negatives if alias.negative else hits).append(hit)
                j += 1
                if j == count:
                    break
                node = node.children.get(keys[j])
        if negatives:
            hits = [h for h in hits if not _inside_negative(h, negatives)]
        spans: list[tuple[str, int, int]] = []
        for hit in _longest_first(hits):
            entity_id = hit.alias.entity_id
            if spans and spans[-1][0] == entity_id and not text[spans[-1][2] : hit.start].strip():
                spans[-1] = (entity_id, spans[-1][1], hit.end)  # "Kremlin spokesman Dmitry Peskov"
            else:
                spans.append((entity_id, hit.start, hit.end))
        return tuple(EntityMention(e, start, end, text[start:end]) for e, start, end in spans)

    @staticmethod
    def _accept(alias: _Alias, tokens: Tokens, i: int, j: int, folded: str) -> _Hit | None:
        start, end = tokens.starts[i], tokens.ends[j]
        if alias.exact is not None:
            if _spaced(tokens, i, j, folded) != alias.exact:
                return None
        elif alias.capitalized:
            span = folded[start:end]
            if span == span.lower():
                return None
        return _Hit(alias, start, end)


def _inside_negative(hit: _Hit, negatives: list[_Hit]) -> bool:
    return any(
        n.alias.entity_id == hit.alias.entity_id and n.start <= hit.start and hit.end <= n.end
        for n in negatives
    )


def _longest_first(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits, longest first, then earliest, then first-configured; by position."""
    if len(hits) < 2:
        return hits
    taken = bytearray(max(h.end for h in hits))
    chosen: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start, h.alias.order)):
        if not any(taken[hit.start : hit.end]):
            chosen.append(hit)
            taken[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
    return sorted(chosen, key=lambda h: h.start)
