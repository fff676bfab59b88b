"""Sentence splitting, tokens, stems and cue scoring used by the rule-based stance model."""

from __future__ import annotations

import pytest

from monitor.stance.cues import CueScores, negation_near, score_sentence
from monitor.stance.lexical import ArticleText, content_stems, split_sentences, stem, tokenize
from monitor.stance.rules import RuleStance
from monitor.stance.types import Judgement, Stance


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two! Three? four", ["One.", "Two!", "Three? four"]),
        ("Mr. Musk spoke. Dr. Who did not.", ["Mr. Musk spoke.", "Dr. Who did not."]),
        ("The U.S. Army said so. It did.", ["The U.S. Army said so.", "It did."]),
        ('He said "no." Then he left.', ['He said "no."', "Then he left."]),
        ("Headline here\n\nBody starts. Ends.", ["Headline here", "Body starts.", "Ends."]),
        ("Prices rose 3.5 percent. Sales fell.", ["Prices rose 3.5 percent.", "Sales fell."]),
        ("", []),
        ("  \n \n ", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("denied", "deny"),
        ("denies", "deny"),
        ("deny", "deny"),
        ("calls", "call"),
        ("regularly", "regular"),
        ("said", "say"),
        ("says", "say"),
        ("confirmed", "confirm"),
        ("2022", "2022"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_tokenize_drops_possessives_and_splits_nt() -> None:
    tokens = tokenize("Musk's claim isn't true, U.S. officials said")
    assert [t.text for t in tokens] == [
        "musk",
        "claim",
        "is",
        "not",
        "true",
        "usa",
        "officials",
        "said",
    ]
    assert tokens[0].capitalised and not tokens[1].capitalised


def test_an_article_keeps_each_sentences_stems_for_every_claim_it_is_read_against() -> None:
    article = ArticleText.read("Musk denied the calls. Putin's office said nothing.")
    assert article.stem_sets == (
        frozenset({"musk", "deny", "the", "call"}),
        frozenset({"putin", "office", "say", "noth"}),
    )
    assert article.all_stems == article.stem_sets[0] | article.stem_sets[1]
    empty = ArticleText.read("")
    assert (empty.stem_sets, empty.all_stems) == ((), frozenset())
    assert RuleStance().relatedness("Musk spoke to Putin.", empty) == 0.0
    # The mean of the whole article's coverage (all of "musk", "call" and the name "putin",
    # which weighs 1.5) and its best sentence's ("musk" and "call": 2 of 3.5).
    assert RuleStance().relatedness("Musk called Putin.", article) == pytest.approx(
        (1 + 2 / 3.5) / 2
    )


def test_content_stems_drop_stop_words_and_negations() -> None:
    assert content_stems(tokenize("He has not met the Kremlin officials")) == [
        "meet",
        "kremlin",
        "official",
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The Journal reported the talks.", CueScores(reports=1.0)),
        ("The talks allegedly took place, sources said.", CueScores(reports=2.5)),
        ("The Kremlin confirmed the talks.", CueScores(supports=1.0)),
        ("The Kremlin declined to confirm the talks.", CueScores(reports=1.0)),
        ("Peskov denied it, saying there was only one call.", CueScores(0.5, 0.0, 3.0)),
        ("Peskov did not deny it.", CueScores(reports=0.5)),
        ("That is not true.", CueScores(refutes=1.5)),
        ("The weather was fine.", CueScores()),
    ],
)
def test_score_sentence(sentence: str, expected: CueScores) -> None:
    assert score_sentence(tokenize(sentence)) == expected


def test_cues_made_of_claim_words_are_ignored() -> None:
    tokens = tokenize("There was only one call.")
    assert score_sentence(tokens).refutes == 1.5
    ignore = frozenset(t.stem for t in tokenize("The Kremlin says there was only one call."))
    assert score_sentence(tokens, ignore) == CueScores()


def test_negation_near_a_claim_word() -> None:
    claim = frozenset({"give", "role", "musk"})
    assert negation_near(tokenize("Trump will not give Musk a role"), claim)
    assert not negation_near(tokenize("Trump will give Musk a role"), claim)
    assert not negation_near(tokenize("Not Musk, but a role"), frozenset({"musk"}))


def test_stance_maps_to_fnc_labels() -> None:
    assert [s.fnc_label for s in Stance] == ["agree", "disagree", "discuss", "unrelated"]


@pytest.mark.parametrize("confidence", [-0.01, 1.01])
def test_judgement_refuses_confidence_outside_unit_interval(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        Judgement(Stance.SUPPORTS, confidence, "", "rules-v0")
