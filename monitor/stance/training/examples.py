"""The encoder's training pairs, built from FNC-1 train only. Pure (no torch).

Three kinds, each an `Item` (claim, passage, label, kind):
- "fnc1": every FNC-1 pair past the cheap first stage (rule relatedness >= RELATED_FLOOR), with
  the body cut to its most claim-like sentences (`passage.select_passage`), as at inference.
- "hard": hard negatives. A headline paired with bodies of *other* stories that share its words
  (names above all), labelled unrelated. FNC-1's own unrelated pairs are random, so an encoder
  trained on them alone calls any article about the same people "discuss"; the product only
  judges articles that name a claim's tracked entities, where that mistake is the common one.
  "Other story" means another connected component of FNC-1's related (headline, body) graph.
- "negated": polarity pairs. An agree pair with a single-auxiliary headline negated ("X has
  confirmed" -> "X has not confirmed") becomes disagree, and a disagree pair becomes agree, so
  the encoder must read the claim's polarity, not only the body's denial words.
- "headline": two headlines of the same FNC-1 body, the second standing as a one-line article
  (`headline_pairs`): the short-text setting of Emergent (a claim against an article's
  headline), which FNC-1's bodies rarely give.

`items.jsonl.gz` (written by `write_items`) holds the fit items, the dev items (the held-out dev
split, FNC-1 pairs only) and the dev pairs under the floor, so training can run on a machine
that has only torch: the accelerator path of `train`.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.stance.lexical import STOP_WORDS, ArticleText, tokenize
from monitor.stance.passage import select_passage
from monitor.stance.rules import RuleStance
from monitor.stance.training.fnc1 import LABELS, Example, stories

RELATED_FLOOR = 0.15  # rule overlap under which a pair never reaches the encoder (see fnc1 dev)
SHORT_SHARE = 0.25  # of training pairs whose passage is only the best sentence (short articles)
HARD_PER_CLAIM = 3  # hard negatives per FNC-1 train headline
HARD_CANDIDATES = 40  # bodies per headline scored by rule relatedness, by shared rare words
HEADLINES_PER_BODY = 6  # headline pairs per FNC-1 body at most (some bodies carry dozens)
# Article words per training passage (minilm-fnc1-v3). Inference reads the length from the
# model's card; v1 and v2 were trained on passage.MAX_WORDS (90).
PASSAGE_WORDS = 140
# 2: the header says the passage length (max_words, max_length); 3: headline pairs are in
ITEMS_FORMAT = 3


@dataclass(frozen=True, slots=True)
class Item:
    claim: str
    passage: str
    label: int  # index into LABELS
    kind: str  # "fnc1", "hard", "negated", "headline" or "dev"


class Texts:
    """Each body split and tokenized once."""

    def __init__(self) -> None:
        self._texts: dict[str, ArticleText] = {}

    def __call__(self, example: Example) -> ArticleText:
        text = self._texts.get(example.body_id)
        if text is None:
            text = self._texts[example.body_id] = ArticleText.read(example.body)
        return text


def _passage_text(claim: str, text: ArticleText, short: bool, max_words: int) -> str:
    passage = select_passage(claim, text, max_words=max_words)
    if short and passage.best_sentence:
        return " ".join(passage.best_sentence.split()[:60])
    return passage.text


def fnc1_items(
    examples: list[Example],
    rules: RuleStance,
    texts: Texts,
    rng: random.Random | None,
    *,
    kind: str = "fnc1",
    max_words: int = PASSAGE_WORDS,
) -> tuple[list[Item], Counter[str]]:
    """Items for the pairs at or above the floor, and the labels of those under it.

    With `rng`, a share (SHORT_SHARE) of the passages is cut to the single most claim-like
    sentence, so the model also learns to judge a headline or a feed summary.
    """
    items: list[Item] = []
    below: Counter[str] = Counter()
    for e in examples:
        text = texts(e)
        if rules.relatedness(e.claim, text) < RELATED_FLOOR:
            below[e.label] += 1
            continue
        short = rng is not None and rng.random() < SHORT_SHARE
        items.append(
            Item(
                e.claim,
                _passage_text(e.claim, text, short, max_words),
                LABELS.index(e.label),
                kind,
            )
        )
    return items, below


def _content(words: Iterable[Any]) -> set[str]:
    return {t.stem for t in words if t.text not in STOP_WORDS and len(t.text) > 2}


def hard_negatives(
    examples: list[Example],
    rules: RuleStance,
    texts: Texts,
    rng: random.Random,
    *,
    per_claim: int = HARD_PER_CLAIM,
    max_words: int = PASSAGE_WORDS,
) -> list[Item]:
    """Headlines with the most word-sharing bodies of other stories, labelled unrelated."""
    story = stories(examples)
    bodies: dict[str, Example] = {}
    for e in examples:
        bodies.setdefault(e.body_id, e)
    body_ids = sorted(bodies)
    index: dict[str, list[str]] = defaultdict(list)
    for body_id in body_ids:
        stems: set[str] = set()
        for sentence in texts(bodies[body_id]).tokens:
            stems |= _content(sentence)
        for stem in stems:
            index[stem].append(body_id)
    idf = {stem: math.log(len(body_ids) / len(ids)) for stem, ids in index.items()}
    paired = {(e.claim, e.body_id) for e in examples}
    items: list[Item] = []
    for claim in sorted({e.claim for e in examples}):
        own = story["h:" + claim]
        shared: dict[str, float] = defaultdict(float)
        for stem in _content(tokenize(claim)):
            for body_id in index.get(stem, ()):
                shared[body_id] += idf[stem]
        ranked = [
            body_id
            for body_id, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))
            if story["b:" + body_id] != own and (claim, body_id) not in paired
        ][:HARD_CANDIDATES]
        scored = sorted(
            ((rules.relatedness(claim, texts(bodies[b])), b) for b in ranked), reverse=True
        )
        for related, body_id in scored[:per_claim]:
            if related < RELATED_FLOOR:
                break
            short = rng.random() < SHORT_SHARE
            passage = _passage_text(claim, texts(bodies[body_id]), short, max_words)
            items.append(Item(claim, passage, LABELS.index("unrelated"), "hard"))
    return items


_AUXILIARY = re.compile(
    r"\b(is|are|was|were|has|have|had|will|would|can|could|should|may|might|must|does|did)\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"\b(not|no|never|nor|none|nothing|without|deny|denies|denied|false|fake|"
    r"hoax|myth|debunk\w*)\b|n't\b",
    re.IGNORECASE,
)


def negate(claim: str) -> str | None:
    """The claim with "not" after its only auxiliary verb; None when that is not a safe edit
    (no auxiliary, several, or the claim already negative or denying)."""
    if _NEGATIVE.search(claim):
        return None
    found = list(_AUXILIARY.finditer(claim))
    if len(found) != 1:
        return None
    end = found[0].end()
    return f"{claim[:end]} not{claim[end:]}"


def negated_items(items: list[Item]) -> list[Item]:
    """agree -> disagree and disagree -> agree, with the claim negated (see `negate`)."""
    agree, disagree = LABELS.index("agree"), LABELS.index("disagree")
    flipped = {agree: disagree, disagree: agree}
    out = []
    for item in items:
        if item.label in flipped and (claim := negate(item.claim)) is not None:
            out.append(Item(claim, item.passage, flipped[item.label], "negated"))
    return out


def headline_pairs(examples: list[Example]) -> list[tuple[str, str, int]]:
    """(claim, article, label) for every ordered pair of two headlines of one FNC-1 body that both
    take a side on it: agree when the body agrees with both or disputes both, disagree when it
    agrees with one and disputes the other. Headlines the body only discusses are left out:
    whether one of them reports the other or takes a side is in its wording, which the labels
    do not tell. Derived labels: two headlines the body agrees with may stress different parts
    of the story."""
    sides: dict[str, dict[str, str]] = defaultdict(dict)
    for e in examples:
        if e.label in ("agree", "disagree"):
            sides[e.body_id][e.claim] = e.label
    pairs = []
    for body_id in sorted(sides):
        headlines = sorted(sides[body_id].items())
        for claim, side in headlines:
            for article, other in headlines:
                if article != claim:
                    label = "agree" if side == other else "disagree"
                    pairs.append((claim, article, LABELS.index(label)))
    return pairs


def headline_items(
    examples: list[Example], rng: random.Random, *, per_body: int = HEADLINES_PER_BODY
) -> list[Item]:
    """`headline_pairs` as training items: at most `per_body` of each body's, drawn at random,
    up to half of them disagree pairs (rare: 6% of all such pairs on dev)."""
    by_body: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_body[e.body_id].append(e)
    disagree = LABELS.index("disagree")
    items = []
    for body_id in sorted(by_body):
        pairs = headline_pairs(by_body[body_id])
        rng.shuffle(pairs)
        chosen = [pair for pair in pairs if pair[2] == disagree][: per_body // 2]
        chosen += [pair for pair in pairs if pair[2] != disagree][: per_body - len(chosen)]
        items += [Item(claim, article, label, "headline") for claim, article, label in chosen]
    return items


def build(
    fit: list[Example], dev: list[Example], *, max_words: int = PASSAGE_WORDS
) -> tuple[list[Item], list[Item], Counter[str]]:
    """(training items of every kind, dev items, dev labels under the floor); passages of at
    most `max_words` article words."""
    rules, texts = RuleStance(), Texts()
    rng = random.Random(1)
    train, _ = fnc1_items(fit, rules, texts, rng, max_words=max_words)
    train += hard_negatives(fit, rules, texts, random.Random(3), max_words=max_words)
    train += negated_items([item for item in train if item.kind == "fnc1"])
    train += headline_items(fit, random.Random(5))
    dev_items, dev_below = fnc1_items(dev, rules, texts, None, kind="dev", max_words=max_words)
    return train, dev_items, dev_below


def write_items(path: Path, train: list[Item], dev: list[Item], meta: dict[str, Any]) -> None:
    """The items and `meta` (which holds "dev_below_floor", the dev labels under the floor)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        header = {"format": ITEMS_FORMAT, **meta}
        handle.write(json.dumps(header) + "\n")
        for item in [*train, *dev]:
            handle.write(json.dumps([item.claim, item.passage, item.label, item.kind]) + "\n")


def read_items(path: Path) -> tuple[dict[str, Any], list[Item], list[Item]]:
    """(header, training items, dev items) from `write_items`' file."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        if header.get("format") != ITEMS_FORMAT:
            raise ValueError(f"{path}: items format {header.get('format')!r}, not {ITEMS_FORMAT}")
        items = [Item(*json.loads(line)) for line in handle]
    return header, [i for i in items if i.kind != "dev"], [i for i in items if i.kind == "dev"]
