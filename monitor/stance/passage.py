"""The part of an article a cross-encoder reads for a claim: its most claim-like sentences. Pure.

A small encoder reads a few hundred word pieces at most (the shipped model: 192, from its card),
and a news body is far longer, so the article is cut to the sentences that share the most content
words with the claim (the stance is usually expressed where the claim's words are), kept in
article order, plus the lede, which often says what the article does with the story. Training
and inference use this same function.

Lines without sentence-final punctuation (the headline and subheadings that extraction keeps as
lines of their own, captions, bylines) are left out when the article has prose: the encoder is
trained on FNC-1 bodies, which have no headline, and a headline such as "Kremlin denies contact"
run into the first sentence reads to it like agreement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.stance.lexical import STOP_WORDS, ArticleText, Token, tokenize

# Words of article text kept when the caller does not say (about 120 word pieces with the
# claim's share): what minilm-fnc1-v1 and v2 read. A model's card gives its own (`max_words`).
MAX_WORDS = 90
MAX_SENTENCE_WORDS = 45  # a very long "sentence" (a list, a table) is cut to this
_PROSE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")


def is_prose(sentence: str) -> bool:
    """Whether a line ends like a sentence (not a headline, caption or byline)."""
    return _PROSE_END.search(sentence) is not None


@dataclass(frozen=True, slots=True)
class Passage:
    text: str  # the chosen sentences in article order, joined by spaces
    best_sentence: str  # the sentence with the most claim words: the quote
    overlap: float  # share of the claim's content stems found in the article, in [0, 1]


def _stems(tokens: list[Token]) -> set[str]:
    return {t.stem for t in tokens if t.text not in STOP_WORDS}


def select_passage(
    claim: str, article: str | ArticleText, *, max_words: int = MAX_WORDS
) -> Passage:
    claim_stems = _stems(tokenize(claim))
    prepared = article if isinstance(article, ArticleText) else ArticleText.read(article)
    sentences = prepared.sentences
    if not sentences:
        return Passage("", "", 0.0)
    words = [s.split()[:MAX_SENTENCE_WORDS] for s in sentences]
    scores = []
    article_stems: set[str] = set()
    for index in range(len(sentences)):
        stems = _stems(prepared.tokens[index])
        article_stems |= stems
        shared = len(claim_stems & stems)
        scores.append((shared / (1 + 0.02 * len(words[index])), -index))
    prose = [i for i, sentence in enumerate(sentences) if is_prose(sentence)]
    eligible = prose or list(range(len(sentences)))
    ranked = sorted(eligible, key=lambda i: scores[i], reverse=True)
    chosen: set[int] = set()
    budget = max_words
    for index in [ranked[0], eligible[0], *ranked[1:]]:
        if index in chosen or (budget <= 0 and chosen):
            continue
        if len(words[index]) > budget and chosen:
            continue
        chosen.add(index)
        budget -= len(words[index])
    text = " ".join(" ".join(words[i]) for i in sorted(chosen))
    overlap = len(claim_stems & article_stems) / len(claim_stems) if claim_stems else 0.0
    return Passage(text, sentences[ranked[0]], overlap)
