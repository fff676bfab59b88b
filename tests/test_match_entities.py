"""EntityMatcher: aliases, case rules, possessives, folding, boundaries, negatives, overlaps."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.config_loader import load_config
from monitor.match import EntityMatcher, EntityMention
from monitor.settings import EntitySettings

ENTITIES = (
    EntitySettings(id="musk", name="Elon Musk", aliases=("Musk",), negative_aliases=("musk ox",)),
    EntitySettings(id="putin", name="Vladimir Putin", aliases=("Putin", "Russian President")),
    EntitySettings(id="russia", name="Russia", aliases=("Russian",)),
    EntitySettings(
        id="peskov", name="Dmitry Peskov", aliases=("Peskov", "Peskow", "Kremlin spokesman")
    ),
    EntitySettings(id="kremlin", name="Kremlin"),
    EntitySettings(id="xi", name="Xi Jinping", aliases=("Xi", "President Xi")),
    EntitySettings(
        id="trump",
        name="Donald Trump",
        aliases=("Trump",),
        negative_aliases=("trump card", "Donald Trump Jr.", "Melania Trump"),
    ),
    EntitySettings(
        id="wsj", name="The Wall Street Journal", aliases=("WSJ", "Wall Street Journal")
    ),
    EntitySettings(id="us", name="United States", aliases=("US", "U.S.")),
    EntitySettings(id="prc", name="China", aliases=("PRC", "People's Republic of China")),
    EntitySettings(
        id="x",
        name="X",
        aliases=("Twitter", "X (formerly Twitter)"),
        negative_aliases=("X-ray", "Generation X", "Tesla Model X"),
    ),
    EntitySettings(id="tesla", name="Tesla"),
    EntitySettings(id="kiriyenko", name="Sergei Kiriyenko", aliases=("Kiriyenko", "Kirienko")),
    EntitySettings(id="president-elect", name="President-elect"),
)
MATCHER = EntityMatcher.from_settings(ENTITIES)


def found(text: str) -> list[tuple[str, str]]:
    return [(m.entity_id, m.surface) for m in MATCHER.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # names and aliases, any case for ordinary aliases
        ("Elon Musk spoke.", [("musk", "Elon Musk")]),
        ("MUSK AND PUTIN TALK", [("musk", "MUSK"), ("putin", "PUTIN")]),
        # a capitalised alias does not match text written wholly in lower case
        ("the smell of musk", []),
        ("this would trump everything; it trumped that", []),
        # possessives, straight and curly
        ("Musk's rocket and Putin’s reply", [("musk", "Musk"), ("putin", "Putin")]),
        ("PUTIN'S WAR", [("putin", "PUTIN")]),
        # folding of accents; transliterations as aliases
        ("Peskóv said", [("peskov", "Peskóv")]),
        ("Peskow sagte", [("peskov", "Peskow")]),
        ("Pesko\u0301v said", [("peskov", "Pesko\u0301v")]),  # a decomposed accent
        ("Kirienko and Kiriyenko", [("kiriyenko", "Kirienko"), ("kiriyenko", "Kiriyenko")]),
        # hyphen and space variants, and dashes folded to hyphens
        ("the President elect", [("president-elect", "President elect")]),
        ("the President-elect", [("president-elect", "President-elect")]),
        ("the President–elect", [("president-elect", "President–elect")]),
        ("a Musk-Putin channel", [("musk", "Musk"), ("putin", "Putin")]),
        # word boundaries
        ("a Trumpet and a Muskrat", []),
        ("in Xian and Xi'an, not Xi", [("xi", "Xi")]),
        ("Xiang", []),
        # short all-capitals aliases are case-sensitive
        ("US officials and WSJ reporters", [("us", "US"), ("wsj", "WSJ")]),
        ("let us go; the wsj", []),
        ("the U.S. said", [("us", "U.S.")]),
        ("the u.s. said", []),
        ("The PRC and the prc", [("prc", "PRC")]),
        ("X said; x said", [("x", "X")]),
        # negative aliases suppress only their own entity
        ("an X-ray of Generation X", []),
        ("an X ray", []),
        ("the Tesla Model X", [("tesla", "Tesla")]),
        ("a musk ox", []),
        ("Trump card", []),
        ("Donald Trump Jr. and Melania Trump", []),
        ("Donald Trump Jr. met Donald Trump", [("trump", "Donald Trump")]),
        # titles configured as aliases match as phrases
        ("the Kremlin spokesman said", [("peskov", "Kremlin spokesman")]),
        ("the Kremlin said", [("kremlin", "Kremlin")]),
        # overlaps: the longest wins
        ("the Russian President spoke", [("putin", "Russian President")]),
        ("Russian troops", [("russia", "Russian")]),
        ("X (formerly Twitter) and Twitter", [("x", "X (formerly Twitter)"), ("x", "Twitter")]),
        ("People's Republic of China", [("prc", "People's Republic of China")]),
        ("President Xi met Xi", [("xi", "President Xi"), ("xi", "Xi")]),
        ("", []),
    ],
)
def test_find(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


def test_mention_offsets_point_into_the_original_text() -> None:
    text = "Yesterday Peskóv’s office denied Musk's claims."
    assert MATCHER.find(text) == (
        EntityMention("peskov", 10, 16, "Peskóv"),
        EntityMention("musk", 33, 37, "Musk"),
    )


def test_bundled_example_config() -> None:
    settings = load_config(Path(__file__).parents[1] / "config" / "monitor.toml", env={}).settings
    matcher = EntityMatcher.from_settings(settings.entities)
    text = (
        "Kremlin spokesman Dmitry Peskov said Elon Musk's talks with Putin were a one-off. "
        "Musk's X, formerly Twitter, denied it; an X-ray showed nothing. "
        "Fine china, U.S. officials and the WSJ. Nikola Tesla's coil."
    )
    assert [m.entity_id for m in matcher.find(text)] == [
        "dmitry-peskov",
        "elon-musk",
        "vladimir-putin",
        "elon-musk",
        "x-platform",
        "united-states",
        "wall-street-journal",
    ]


def test_entity_listed_first_wins_an_exact_tie() -> None:
    matcher = EntityMatcher.from_settings(
        (EntitySettings(id="a", name="Alpha"), EntitySettings(id="b", name="B", aliases=("Alpha",)))
    )
    assert [m.entity_id for m in matcher.find("Alpha")] == ["a"]


@given(st.text(alphabet="MuskPtinXr -'’.xay\n", max_size=60))
def test_mentions_are_ordered_disjoint_and_exact(text: str) -> None:
    mentions = MATCHER.find(text)
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.surface
    for before, after in pairwise(mentions):
        assert before.end <= after.start


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kremlin spokesman Dmitry Peskov said", [("peskov", "Kremlin spokesman Dmitry Peskov")]),
        ("Russian President Vladimir Putin", [("putin", "Russian President Vladimir Putin")]),
        ("Putin, Putin", [("putin", "Putin"), ("putin", "Putin")]),
        ("Musk Putin", [("musk", "Musk"), ("putin", "Putin")]),
    ],
)
def test_adjacent_mentions_of_one_entity_merge(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected
