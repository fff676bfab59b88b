"""The passage a cross-encoder reads, and how the encoder's calibrated decision is made."""

from __future__ import annotations

import pytest

from monitor.stance.encoder import LABEL_STANCES, decide_label
from monitor.stance.lexical import ArticleText
from monitor.stance.passage import MAX_SENTENCE_WORDS, select_passage
from monitor.stance.rules import RuleStance
from monitor.stance.types import Stance

CLAIM = "Elon Musk has been in regular contact with Vladimir Putin since late 2022."
LEDE = "A new report has set off a debate in Washington."
FILLER = [
    f"Officials met on day {n} to discuss the budget for schools and roads." for n in range(12)
]
KEY = "Musk and Putin have been in regular contact since late 2022, people familiar said."
ARTICLE = " ".join([LEDE, *FILLER[:6], KEY, *FILLER[6:]])


def test_the_passage_holds_the_most_claim_like_sentence_and_the_lede_in_article_order() -> None:
    passage = select_passage(CLAIM, ARTICLE)
    assert passage.best_sentence == KEY
    assert passage.text.startswith(LEDE)
    assert KEY in passage.text
    assert passage.text.index(LEDE) < passage.text.index(KEY)


def test_headline_and_subheading_lines_are_left_out_of_a_prose_article() -> None:
    article = "\n".join(["Musk and Putin in regular contact", LEDE, "Since late 2022", KEY])
    passage = select_passage(CLAIM, article)
    assert passage.text == f"{LEDE} {KEY}"
    assert passage.best_sentence == KEY


def test_an_article_of_only_lines_keeps_them() -> None:
    passage = select_passage(CLAIM, "Musk and Putin in regular contact")
    assert passage.text == passage.best_sentence == "Musk and Putin in regular contact"


def test_the_passage_keeps_to_its_word_budget() -> None:
    passage = select_passage(CLAIM, ARTICLE, max_words=30)
    assert len(passage.text.split()) <= 30
    assert KEY in passage.text


def test_a_runaway_sentence_is_cut() -> None:
    article = "Musk Putin contact " + " ".join(["word"] * 500) + "."
    passage = select_passage(CLAIM, article)
    assert len(passage.text.split()) == MAX_SENTENCE_WORDS


def test_overlap_is_the_share_of_claim_words_found() -> None:
    assert select_passage(CLAIM, ARTICLE).overlap > 0.5
    assert select_passage(CLAIM, "Rain is expected in Lisbon on Sunday.").overlap == 0.0


def test_an_empty_article_gives_an_empty_passage() -> None:
    passage = select_passage(CLAIM, "   ")
    assert (passage.text, passage.best_sentence, passage.overlap) == ("", "", 0.0)


def test_a_prepared_article_gives_the_same_answers_as_its_text() -> None:
    prepared = ArticleText.read(ARTICLE)
    assert select_passage(CLAIM, prepared) == select_passage(CLAIM, ARTICLE)
    rules = RuleStance()
    assert rules.relatedness(CLAIM, prepared) == rules.relatedness(CLAIM, ARTICLE)
    assert rules.judge(CLAIM, prepared) == rules.judge(CLAIM, ARTICLE)


NO_BIAS = (0.0, 0.0, 0.0, 0.0)
DISCUSS = LABEL_STANCES.index(Stance.REPORTS)
DISAGREE = LABEL_STANCES.index(Stance.REFUTES)


def test_the_decision_is_the_most_probable_label_without_calibration() -> None:
    assert decide_label([0.1, 0.2, 0.6, 0.1], DISCUSS, NO_BIAS, NO_BIAS) == DISCUSS


def test_a_label_bias_moves_a_close_call() -> None:
    probabilities = [0.1, 0.35, 0.45, 0.1]
    assert decide_label(probabilities, DISCUSS, (0.0, 0.5, 0.0, 0.0), NO_BIAS) == DISAGREE


@pytest.mark.parametrize("cue, expected", [(DISAGREE, DISAGREE), (DISCUSS, DISCUSS)])
def test_the_rule_bonus_goes_only_to_the_label_the_rules_chose(cue: int, expected: int) -> None:
    probabilities = [0.1, 0.35, 0.45, 0.1]
    bonus = (0.0, 0.5, 0.0, 0.0)
    assert decide_label(probabilities, cue, NO_BIAS, bonus) == expected
