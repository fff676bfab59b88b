"""Claim proposal: the rules over sentences, and `monitor claims propose` printing valid TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.cli.claims import claims_group
from monitor.cli.propose import propose as propose_command
from monitor.config_loader import bundled_config
from monitor.propose import Proposal, ProposedClaim, propose
from monitor.settings import Settings
from tests.pipeline_world import article_page

if "propose" not in claims_group.commands:  # until the lead registers it under `claims`
    claims_group.add_command(propose_command)

BUNDLED = Settings.model_validate(
    {k: v for k, v in tomllib.loads(bundled_config().read_text()).items() if k != "feeds"}
)

# The ten seed claims of the bundled watchlist, each as key words (any of a tuple will do), and
# whether it is a forecast.
SEED_CLAIMS: dict[str, tuple[tuple[tuple[str, ...], ...], bool]] = {
    "regular contact since late 2022": ((("musk",), ("putin",), ("since late 2022",)), False),
    "no Starlink over Taiwan for Xi": (
        (("putin",), ("starlink",), ("taiwan",), ("xi", "chinese president")),
        False,
    ),
    "talks with Kiriyenko": ((("musk", "discussions"), ("kiriyenko",)), False),
    "Starlink pivotal in Ukraine": ((("starlink",), ("pivotal",), ("ukraine",)), False),
    "X in Russian disinformation": ((("x platform", "x "), ("russian disinformation",)), False),
    "government role for Musk": ((("trump",), ("musk",), ("government",)), False),
    "Peskov: only one call": ((("peskov",), ("only one",), ("call",)), False),
    "Musk shapes US policy on Russia": ((("trump wins",), ("musk",), ("russia",)), True),
    "officials reassess security": ((("officials",), ("reassess",), ("security",)), True),
    "further negotiations": ((("musk",), ("putin",), ("further negotiations",)), True),
}


def _has(text: str, keys: tuple[tuple[str, ...], ...]) -> bool:
    lowered = text.casefold()
    return all(any(word in lowered for word in group) for group in keys)


@pytest.fixture(scope="module")
def seed_claims(seeds_dir: Path) -> list[ProposedClaim]:
    claims: list[ProposedClaim] = []
    for pattern in ("000_*.txt", "003_*.txt"):
        for path in sorted(seeds_dir.glob(pattern)):
            claims += propose(path.read_text(), BUNDLED.entities).claims
    return claims


def test_seed_documents_recover_most_watchlist_claims(seed_claims: list[ProposedClaim]) -> None:
    recovered = {
        name
        for name, (keys, forecast) in SEED_CLAIMS.items()
        if any(_has(c.text, keys) and (c.kind == "forecast") == forecast for c in seed_claims)
    }
    assert len(recovered) >= 8, sorted(set(SEED_CLAIMS) - recovered)


def test_seed_claims_cite_configured_entities(seed_claims: list[ProposedClaim]) -> None:
    by_text = {c.text: c for c in seed_claims}
    peskov = next(c for t, c in by_text.items() if "Peskov" in t)
    assert peskov.kind == "statement"
    assert "dmitry-peskov" in peskov.entities
    contact = next(
        c for t, c in by_text.items() if _has(t, SEED_CLAIMS["regular contact since late 2022"][0])
    )
    assert {"elon-musk", "vladimir-putin"} <= set(contact.entities)


@pytest.mark.parametrize(
    "sentence",
    [
        "The existence of a communication channel between Musk and Putin raises questions about"
        " the influence of private individuals on international diplomacy.",
        "Musk's dual role as a tech innovator and a supporter of Trump complicates the narrative"
        " around corporate influence in government.",
        "Musk's connections with Putin raise significant concerns regarding Western security.",
        "This request highlights the intricate relationship between Musk and Putin.",
        "Critics argue that these revelations about Musk may be intended to paint Musk as"
        " sympathetic to foreign adversaries.",
        "Will Musk's international ties with Putin change how voters see Donald Trump?",
        "Did Elon Musk really speak to Vladimir Putin every month since 2022?",
        "Elon Musk and Putin: Key Conversations and Connections",
    ],
)
def test_opinion_questions_and_headings_are_not_proposed(sentence: str) -> None:
    assert propose(sentence + "\n", BUNDLED.entities).claims == ()


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        (
            "If Trump wins the election, Musk may gain a role in shaping U.S. policy on Russia.",
            "forecast",
        ),
        ("Continued contact between Musk and Putin could lead to talks on Ukraine.", "forecast"),
        (
            "The situation may prompt U.S. officials to reassess Musk's defence contracts.",
            "forecast",
        ),
        ("Elon Musk has been in regular contact with Vladimir Putin since late 2022.", "fact"),
        (
            "Kremlin spokesman Dmitry Peskov has downplayed the contacts, saying that Musk and"
            " Putin spoke only once.",
            "statement",
        ),
        ("Dmitry Peskov said on Friday that there was only one call with Elon Musk.", "statement"),
    ],
)
def test_kinds(sentence: str, kind: str) -> None:
    (claim,) = propose(sentence, BUNDLED.entities).claims
    assert claim.kind == kind
    assert claim.original == sentence


@pytest.mark.parametrize(
    ("sentence", "text", "source"),
    [
        (
            "According to The Wall Street Journal, Elon Musk has spoken to Vladimir Putin.",
            "Elon Musk has spoken to Vladimir Putin.",
            "The Wall Street Journal",
        ),
        (
            "A recent report by the Wall Street Journal has revealed that Elon Musk has met"
            " Putin twice.",
            "Elon Musk has met Putin twice.",
            "The Wall Street Journal",
        ),
        (
            "The situation may prompt U.S. officials to reassess Musk's defence contracts.",
            "U.S. officials may reassess Musk's defence contracts.",
            None,
        ),
        (
            "Trump has promised Musk a government post, which could further entangle his"
            " companies.",
            "Trump has promised Musk a government post.",
            None,
        ),
    ],
)
def test_claim_text_is_normalised(sentence: str, text: str, source: str | None) -> None:
    (claim,) = propose(sentence, BUNDLED.entities).claims
    assert (claim.text, claim.source) == (text, source)


def test_compound_sentence_splits_only_into_standalone_halves() -> None:
    split = propose(
        "The Starlink service has been pivotal in Ukraine, and Musk's X platform has been used"
        " in Russian disinformation efforts.",
        BUNDLED.entities,
    ).claims
    assert [c.text for c in split] == [
        "The Starlink service has been pivotal in Ukraine.",
        "Musk's X platform has been used in Russian disinformation efforts.",
    ]
    whole = propose(
        "Elon Musk, who runs Tesla, SpaceX, and Starlink, has spoken with Vladimir Putin.",
        BUNDLED.entities,
    ).claims
    assert len(whole) == 1


def test_new_entities_get_title_and_surname_aliases_and_config_ids_are_reused() -> None:
    text = (
        "Russian Foreign Minister Sergei Lavrov said that Elon Musk had never visited Moscow.\n"
        "Lavrov also met Chinese President Xi Jinping in Beijing last week."
    )
    proposal = propose(text, BUNDLED.entities)
    lavrov = next(e for e in proposal.entities if e.name == "Sergei Lavrov")
    assert lavrov.id == "sergei-lavrov" and lavrov.kind == "person"
    assert set(lavrov.aliases) == {"Lavrov", "Russian Foreign Minister"}
    assert {"elon-musk", "xi-jinping"} <= set(proposal.reused)
    assert not any(e.name in ("Elon Musk", "Xi Jinping") for e in proposal.entities)
    assert all(lavrov.id in c.entities for c in proposal.claims)


def test_ids_are_unique_and_avoid_taken_claim_ids() -> None:
    sentence = "Elon Musk has been in regular contact with Vladimir Putin since late 2022."
    first = propose(sentence, BUNDLED.entities).claims[0].id
    proposal = propose(f"{sentence}\n{sentence}", BUNDLED.entities, taken_claims=[first])
    ids = [c.id for c in proposal.claims]
    assert len(ids) == 2 and len(set(ids)) == 2 and first not in ids


def test_without_config_entities_are_invented() -> None:
    text = "Kremlin spokesperson Dmitry Peskov said that Peskov spoke to Elon Musk only once."
    proposal: Proposal = propose(text)
    names = {e.name: e for e in proposal.entities}
    assert names["Dmitry Peskov"].aliases == ("Peskov", "Kremlin spokesperson")
    assert set(proposal.claims[0].entities) == {"dmitry-peskov", "elon-musk"}


# --- the command ---------------------------------------------------------------------------


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["claims", "propose", *args], env=env, catch_exceptions=False)


def _merged_with_bundled(output: str) -> Settings:
    """The printed TOML pasted after the bundled watchlist: must validate as a whole."""
    pasted = tomllib.loads(output)
    return Settings.model_validate(
        {
            "entities": [*BUNDLED.model_dump()["entities"], *pasted.get("entities", [])],
            "claims": [*BUNDLED.model_dump()["claims"], *pasted.get("claims", [])],
        }
    )


def test_seed_output_is_toml_that_validates_with_the_config(
    env: dict[str, str], seeds_dir: Path
) -> None:
    (seed,) = sorted(seeds_dir.glob("000_*.txt"))
    result = run(env, str(seed))
    assert result.exit_code == 0, result.output
    merged = _merged_with_bundled(result.stdout)
    new = merged.claims[len(BUNDLED.claims) :]
    assert len(new) >= 8
    assert any(c.kind == "forecast" for c in new)
    assert '# from: "If Trump wins the election' in result.stdout


def test_html_file_with_a_new_person(env: dict[str, str], tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        article_page(
            "Lavrov on Musk",
            [
                'Russian Foreign Minister Sergei Lavrov said that Elon Musk had "never" been'
                " to Moscow, and he denied any contact with the Kremlin.",
                "Does this change anything for Trump?",
            ],
        )
    )
    result = run(env, str(page))
    assert result.exit_code == 0, result.output
    merged = _merged_with_bundled(result.stdout)
    assert "sergei-lavrov" in {e.id for e in merged.entities}
    assert "<p>" not in result.stdout and "Does this change" not in result.stdout


def test_missing_file_exits_2(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, str(tmp_path / "nothing.txt"))
    assert result.exit_code == 2
