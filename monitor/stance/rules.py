"""RuleStance: a rule-based baseline stance model (lexical overlap plus cue words). Pure.

A baseline to be replaced by the trained model of issue 6; it is here so the rest of the
pipeline and the evaluation harness have something honest to run. How it judges:

1. Relatedness: the share of the claim's content words (stop words removed, crudely stemmed;
   names and numbers weigh 1.5, other words 1) found in the whole article and in its
   best-matching sentence, averaged. Below `related_threshold` the article is unrelated. The
   weights come from the two texts only.
2. The best-matching sentence is the quote. Cue words (see `cues`) are scored in it (weight 1),
   in its two neighbours and in the article's first sentence (weight 0.5 each): denials, and a
   negation just before a claim word (unless the claim is itself negative), point to refutes;
   first-hand confirmations to supports; attribution ("according to", "reported", "X said") and
   hedges ("allegedly", "rumour") to reports. Cue words the claim itself uses do not count.
3. Refutes wins if its score reaches 1 and is at least the report and support scores; then
   supports likewise. An article full of denials (article-wide denial score of 6 or more, i.e.
   four denial cues) refutes unless the window confirms. Otherwise a report score of 0.5 in the
   window, or an article-wide hedge score of 5 or more, gives reports; an on-topic article with
   no such cue asserts the claim in its own voice: supports.
4. Before 2 and 3, a claim that is itself an attributed statement ("X says ...", "According to
   X, ...") is judged by whether the article carries X saying it (supports) or X retracting it or
   saying the opposite (refutes); see `statements`. Denial words inside the carried statement are
   part of it, not a refutation. When the article does neither, 2 and 3 decide as usual.

The only numbers fitted to data are the default relatedness threshold (0.3) and the two
article-wide counts (5 and 6), each chosen by hand from a few candidates on random samples of
FNC-1 *train* (6,000 and 8,000 pairs); nothing is fitted on the competition test set or Emergent.

Confidence grows with the overlap and the winning cue's strength, and is capped at 0.9.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.stance.claim_words import ClaimWords, read_claim_words
from monitor.stance.cues import (
    DENIAL,
    DENIAL_VERBS,
    CueScores,
    find_phrases,
    negated_at,
    negation_near,
    score_sentence,
)
from monitor.stance.lexical import NEGATIONS, ArticleText, Token, tokenize
from monitor.stance.passage import is_prose
from monitor.stance.statements import StatementVerdict, judge_statement, parse_statement
from monitor.stance.types import Judgement, Stance

VERSION = "rules-v1"
_ARTICLE_HEDGES_FOR_REPORTS = 5.0
_ARTICLE_DENIALS_FOR_REFUTES = 6.0
_REPORTS_FLOOR = 0.5
LEAD_DENIAL_COVERAGE = 0.7  # of the claim's words in a denying first sentence (see CueReading)


class RuleStance:
    """Rule-based stance baseline; see the module docstring for how it decides."""

    def __init__(self, related_threshold: float = 0.3) -> None:
        if not 0.0 <= related_threshold <= 1.0:
            raise ValueError(f"related_threshold must be in [0, 1], got {related_threshold!r}")
        self.related_threshold = related_threshold

    @property
    def version(self) -> str:
        return VERSION

    def relatedness(self, claim: str, article: str | ArticleText) -> float:
        """The lexical overlap score in [0, 1] that decides whether `article` is on topic."""
        text = article if isinstance(article, ArticleText) else ArticleText.read(article)
        return _overlap(read_claim_words(claim), text)[0]

    def read_cues(self, claim: str, article: str | ArticleText, *, floor: float) -> CueReading:
        """The relatedness and, from `floor` up, the rules' stance with no relatedness threshold
        and whether the best-matching sentence contradicts the claim (`CueReading`): one pass,
        for a model that borrows the rules' cues (`EncoderStance`)."""
        parsed = read_claim_words(claim)
        text = article if isinstance(article, ArticleText) else ArticleText.read(article)
        tokens = list(text.tokens)
        related, best_index = _overlap(parsed, text)
        if related < floor or not tokens:
            return CueReading(related, None, False)
        statement = parse_statement(claim)
        verdict = judge_statement(statement, tokens) if statement is not None else None
        judgement = _verdict(parsed, text, related, best_index, 0.0, verdict)
        negative = _is_negative(claim, parsed)
        return CueReading(
            related,
            judgement.stance,
            contradicted=not negative and _contradicts(parsed, tokens[best_index]),
            lead_denial=not negative and _lead_denial(parsed, text),
            statement_carried=None
            if statement is None
            else verdict is not None and verdict.stance is Stance.SUPPORTS,
        )

    def judge(self, claim: str, article: str | ArticleText) -> Judgement:
        """Judge what `article` does with `claim`."""
        parsed = read_claim_words(claim)
        text = article if isinstance(article, ArticleText) else ArticleText.read(article)
        tokens = list(text.tokens)
        related, best_index = _overlap(parsed, text)
        verdict = None
        if related >= self.related_threshold and tokens:
            statement = parse_statement(claim)
            verdict = judge_statement(statement, tokens) if statement is not None else None
        return _verdict(parsed, text, related, best_index, self.related_threshold, verdict)


@dataclass(frozen=True, slots=True)
class CueReading:
    """What `RuleStance.read_cues` sees in a (claim, article) pair."""

    relatedness: float
    stance: Stance | None  # the rules' stance ignoring relatedness; None under the floor
    # The best-matching sentence negates a claim word ("will not give") or carries a denial cue
    # ("are false", "denied"), and the claim itself is neither negative nor a denial.
    contradicted: bool
    # The article's first sentence of prose is a party's denial ("the Kremlin denied that ...")
    # that carries most of the claim's words (LEAD_DENIAL_COVERAGE): its central news is the
    # denial. False when the claim itself is negative or a denial.
    lead_denial: bool = False
    # For a claim about what someone says ("Peskov says ..."): whether the article carries that
    # statement (`statements`); None for other claims.
    statement_carried: bool | None = None

    @property
    def blocks_support(self) -> bool:
        """The guards of `EncoderStance`: the quote contradicts the claim, or the claim is a
        statement the article does not carry."""
        return self.contradicted or self.statement_carried is False


def _verdict(
    parsed: ClaimWords,
    text: ArticleText,
    related: float,
    best_index: int,
    threshold: float,
    statement: StatementVerdict | None,
) -> Judgement:
    """The rules' judgement; `statement` is the statement reading of an attributed claim."""
    sentences, tokens = list(text.sentences), list(text.tokens)
    if related < threshold or not sentences:
        shortfall = 1.0 - related / threshold if threshold else 0.0
        return Judgement(Stance.UNRELATED, round(0.5 + 0.4 * shortfall, 3), "", VERSION)
    room = 1.0 - threshold
    margin = min(1.0, (related - threshold) / room) if room > 0 else 1.0
    if statement is not None:
        confidence = min(0.9, 0.3 + 0.3 * margin + 0.3 * statement.coverage)
        quote = sentences[statement.sentence]
        return Judgement(statement.stance, round(confidence, 3), quote, VERSION)
    window = _window_scores(tokens, best_index, parsed.all_stems)
    if _negates(parsed, tokens[best_index]):
        window = window.plus(CueScores(refutes=1.0))
    stance, strength = _decide(window, tokens, parsed.all_stems)
    confidence = min(0.9, 0.3 + 0.3 * margin + 0.15 * min(strength, 2.0))
    return Judgement(stance, round(confidence, 3), sentences[best_index], VERSION)


def _is_negative(claim: str, parsed: ClaimWords) -> bool:
    """Whether the claim itself negates or denies ("X did not ...", "reports of X are false")."""
    if not parsed.all_stems.isdisjoint(NEGATIONS):
        return True
    return bool(find_phrases([t.stem for t in tokenize(claim)], DENIAL))


def _contradicts(parsed: ClaimWords, sentence: list[Token]) -> bool:
    return _negates(parsed, sentence) or score_sentence(sentence, parsed.all_stems).refutes > 0


def _lead_denial(parsed: ClaimWords, text: ArticleText) -> bool:
    lead = next((t for s, t in zip(text.sentences, text.tokens, strict=True) if is_prose(s)), None)
    if lead is None:
        return False
    stems = [t.stem for t in lead]
    denials = find_phrases(stems, DENIAL_VERBS, parsed.all_stems)
    denied = any(not negated_at(lead, position) for position in denials)
    return (denied or _negates(parsed, lead)) and parsed.coverage(
        set(stems)
    ) >= LEAD_DENIAL_COVERAGE


def _negates(claim: ClaimWords, sentence: list[Token]) -> bool:
    claim_negated = not claim.all_stems.isdisjoint(NEGATIONS)
    return not claim_negated and negation_near(sentence, frozenset(claim.weights))


def _overlap(claim: ClaimWords, text: ArticleText) -> tuple[float, int]:
    """The relatedness score and the index of the best-matching sentence."""
    best_index, best = 0, 0.0
    for index, stems in enumerate(text.stem_sets):
        cover = claim.coverage(stems)
        if cover > best:
            best_index, best = index, cover
    whole = claim.coverage(text.all_stems)
    return (whole + best) / 2, best_index


def _window_scores(tokens: list[list[Token]], best: int, ignore: frozenset[str]) -> CueScores:
    scores = score_sentence(tokens[best], ignore)
    neighbours = {best - 1, best + 1, 0} - {best}
    for index in sorted(neighbours):
        if 0 <= index < len(tokens):
            scores = scores.plus(score_sentence(tokens[index], ignore), 0.5)
    return scores


def _decide(
    window: CueScores, tokens: list[list[Token]], ignore: frozenset[str]
) -> tuple[Stance, float]:
    """The stance from the window's cue scores, and the strength of the cue that decided it."""
    if window.refutes >= max(1.0, window.reports, window.supports):
        return Stance.REFUTES, window.refutes
    article = [score_sentence(sentence, ignore) for sentence in tokens]
    denials = sum(scores.refutes for scores in article)
    if denials >= _ARTICLE_DENIALS_FOR_REFUTES and window.supports < 1.0:
        return Stance.REFUTES, 1.0
    if window.supports >= 1.0 and window.supports >= window.reports:
        return Stance.SUPPORTS, window.supports
    if window.reports >= _REPORTS_FLOOR:
        return Stance.REPORTS, window.reports
    article_hedges = sum(scores.reports for scores in article)
    if article_hedges >= _ARTICLE_HEDGES_FOR_REPORTS:
        return Stance.REPORTS, 0.5
    return Stance.SUPPORTS, 0.0
