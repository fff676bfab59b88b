"""ClaimIndex: the entity gate, sentence closeness and the bundled watchlist's claims."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config_loader import load_config
from monitor.match import Candidate, ClaimIndex, EntityMatcher, required_entities
from monitor.settings import ClaimSettings, EntitySettings

SETTINGS = load_config(Path(__file__).parents[1] / "config" / "monitor.toml", env={}).settings
MATCHER = EntityMatcher.from_settings(SETTINGS.entities)
INDEX = ClaimIndex.build(SETTINGS.claims, MATCHER)
PUTIN_CLAIMS = {c.id for c in SETTINGS.claims if "vladimir-putin" in c.entities}


def select(text: str) -> list[Candidate]:
    return INDEX.candidates(text, MATCHER.find(text))


def selected(text: str) -> list[str]:
    return [c.claim_id for c in select(text)]


REGULAR_CONTACT = (
    "Elon Musk has been in regular contact with Vladimir Putin since late 2022, The Wall Street "
    "Journal reported on Thursday, citing several current and former officials.\n"
    "The billionaire and the Russian leader discussed business and geopolitics, the people said."
)
TESLA_EARNINGS = (
    "Tesla beat expectations on Wednesday. Chief executive Elon Musk said deliveries would grow "
    "by a fifth next year and that contact with suppliers in late 2022 had paid off.\n"
    "Shares rose 12% in late trading."
)
ONE_CALL = (
    "Kremlin rejects report on Musk and Putin\n"
    "Moscow dismissed the newspaper's account on Friday. Peskov said there was only one call. "
    "It was about space and technology, he said."
)


@pytest.mark.parametrize(
    ("entities", "required"),
    [(("a",), 1), (("a", "b"), 2), (("a", "b", "c"), 2), (("a", "b", "c", "d", "e"), 2)],
)
def test_required_entities(entities: tuple[str, ...], required: int) -> None:
    assert required_entities(entities) == required


def test_regular_contact_article_selects_that_claim_first() -> None:
    found = select(REGULAR_CONTACT)
    assert found[0].claim_id == "musk-putin-regular-contact"
    assert found[0].entities == ("elon-musk", "vladimir-putin")
    evidence = found[0].sentences[0]
    assert evidence.text.startswith("Elon Musk has been in regular contact")
    assert REGULAR_CONTACT[evidence.start : evidence.end] == evidence.text


def test_tesla_earnings_naming_only_musk_selects_no_putin_claim() -> None:
    assert not PUTIN_CLAIMS & set(selected(TESLA_EARNINGS))


def test_one_call_statement_selects_the_peskov_claim() -> None:
    found = select(ONE_CALL)
    assert found[0].claim_id == "peskov-only-one-call"
    assert found[0].sentences[0].text == "Peskov said there was only one call."


def test_an_article_naming_one_of_a_claims_four_entities_is_not_a_candidate() -> None:
    # The gate: claims with more than two entities need two of them in the article.
    assert selected("Peskov said there was only one call.") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Both entities, a close sentence: candidate.
        ("Alpha met Beta. Alpha and Beta signed a trade deal.", ["ab-deal"]),
        # Both entities but no sentence close to the claim: not a candidate.
        ("Alpha met Beta. They had lunch.", []),
        # Close sentence but one entity missing: not a candidate.
        ("Alpha signed a trade deal.", []),
        # Three-entity claim: any two of its entities open the gate.
        ("Beta and Gamma held border talks.", ["abc-talks"]),
        ("Gamma held border talks.", []),
        # One-entity claim: that entity is enough.
        ("Gamma launched a rocket on Monday.", ["g-rocket"]),
    ],
)
def test_gate_and_closeness(text: str, expected: list[str]) -> None:
    entities = [EntitySettings(id=i, name=i.title()) for i in ("alpha", "beta", "gamma")]
    claims = [
        ClaimSettings(
            id="ab-deal", text="Alpha signed a trade deal with Beta.", entities=("alpha", "beta")
        ),
        ClaimSettings(
            id="abc-talks",
            text="Alpha, Beta and Gamma held border talks.",
            entities=("alpha", "beta", "gamma"),
        ),
        ClaimSettings(id="g-rocket", text="Gamma launched a rocket.", entities=("gamma",)),
    ]
    matcher = EntityMatcher.from_settings(entities)
    index = ClaimIndex.build(claims, matcher)
    assert [c.claim_id for c in index.candidates(text, matcher.find(text))] == expected


def test_best_sentences_come_first_and_are_capped() -> None:
    entities = [EntitySettings(id="alpha", name="Alpha")]
    claims = [ClaimSettings(id="c", text="Alpha launched a reusable rocket.", entities=("alpha",))]
    matcher = EntityMatcher.from_settings(entities)
    index = ClaimIndex.build(claims, matcher)
    text = (
        "Alpha launched a rocket. Alpha launched a reusable rocket. Alpha rocket news. "
        "Alpha rocket again. Alpha had lunch."
    )
    (candidate,) = index.candidates(text, matcher.find(text), top_sentences=3)
    assert [s.text for s in candidate.sentences] == [
        "Alpha launched a reusable rocket.",
        "Alpha launched a rocket.",
        "Alpha rocket news.",
    ]
    assert candidate.score == pytest.approx(1.5)


def test_claim_made_only_of_entity_names_needs_only_the_entities() -> None:
    entities = [EntitySettings(id="alpha", name="Alpha"), EntitySettings(id="beta", name="Beta")]
    claims = [ClaimSettings(id="c", text="Alpha and Beta.", entities=("alpha", "beta"))]
    matcher = EntityMatcher.from_settings(entities)
    index = ClaimIndex.build(claims, matcher)
    text = "Alpha met Beta."
    assert [c.claim_id for c in index.candidates(text, matcher.find(text))] == ["c"]


def test_no_mentions_no_candidates() -> None:
    assert INDEX.candidates("Nothing to see here.", ()) == []
    assert len(INDEX) == len(SETTINGS.claims)


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        ("alpha beta", ["c"]),  # few entities: looked up by entity pair
        ("alpha beta gamma delta epsilon zeta", ["c"]),  # many: counted over entity postings
        ("alpha delta epsilon zeta", []),
        ("alpha", []),
    ],
)
def test_gate_lookup_paths_agree(named: str, expected: list[str]) -> None:
    names = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta")
    entities = [EntitySettings(id=n, name=n.title()) for n in names]
    claims = [ClaimSettings(id="c", text="Alpha, Beta and Gamma agreed.", entities=names[:3])]
    matcher = EntityMatcher.from_settings(entities)
    index = ClaimIndex.build(claims, matcher)
    text = " and ".join(n.title() for n in named.split()) + " agreed."
    assert [c.claim_id for c in index.candidates(text, matcher.find(text))] == expected
