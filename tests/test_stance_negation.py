"""The stance model's second reading, of the negated claim (`encoder.Negation`): which pairs it
reads twice, how both readings mix, and that `EncoderStance` does what its card says, on the real
shipped weights."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.stance.encoder import EncoderStance, ModelCard, Negation, _Runtime, packaged_model_dir
from monitor.stance.training.export import NEGATION, OWN_SAMPLE

CLAIM, ARTICLE = OWN_SAMPLE[1]  # a denial of "The mayor resigned on Monday."


def test_the_claim_is_negated_by_its_prefix() -> None:
    negation = Negation("It is false that ", 0.25, 0.2)
    assert negation.claim(" Musk met Putin. ") == "It is false that Musk met Putin."


def test_only_pairs_about_agreement_or_denial_are_read_twice() -> None:
    first = np.array(
        [
            [0.15, 0.05, 0.7, 0.1],  # agree + disagree 0.2: at the gate
            [0.1, 0.05, 0.8, 0.05],  # 0.15: reports the claim
            [0.01, 0.01, 0.03, 0.95],  # about something else
            [0.05, 0.6, 0.3, 0.05],
        ]
    )
    assert Negation("", 0.25, 0.2).gated(first).tolist() == [True, False, False, True]


def test_the_negated_readings_agreement_counts_as_a_denial() -> None:
    plain = np.array([[0.6, 0.1, 0.2, 0.1]])
    # The article agrees with "It is false that <claim>".
    negated = np.array([[0.8, 0.02, 0.1, 0.08]])
    mixed = Negation("", 0.25, 0.2).mix(plain, negated)
    assert np.allclose(mixed, [[0.455, 0.275, 0.175, 0.095]])
    assert np.allclose(mixed.sum(axis=1), 1.0)
    assert np.array_equal(Negation("", 0.0, 0.2).mix(plain, negated), plain)


def card_with(tmp_path: Path, negation: dict[str, Any] | None) -> Path:
    """A copy of the shipped model whose card has this `negation` (none: the field removed)."""
    directory = tmp_path / "model"
    shutil.copytree(packaged_model_dir(), directory)
    card = json.loads((directory / "model.json").read_text(encoding="utf-8"))
    card.pop("negation", None)
    if negation is not None:
        card["negation"] = negation
    (directory / "model.json").write_text(json.dumps(card), encoding="utf-8")
    return directory


def test_the_card_names_its_second_reading(tmp_path: Path) -> None:
    assert ModelCard.read(packaged_model_dir()).negation == NEGATION
    assert ModelCard.read(card_with(tmp_path, None)).negation is None


@pytest.fixture(scope="module")
def runtime() -> _Runtime:
    directory = packaged_model_dir()
    return _Runtime(directory, ModelCard.read(directory), None)


def test_the_model_reads_the_negated_claim_where_its_card_gates_it(
    tmp_path: Path, runtime: _Runtime
) -> None:
    plain = runtime.probabilities([(CLAIM, ARTICLE)]).astype(np.float64)
    negated = runtime.probabilities([("It is false that " + CLAIM, ARTICLE)]).astype(np.float64)
    # The negated claim's reading of a denial: agreement.
    assert negated[0, 0] > negated[0, 1]

    only = EncoderStance(
        card_with(tmp_path, {"prefix": "It is false that ", "weight": 1.0, "gate": 0.0})
    )
    assert np.array_equal(only._probabilities([(CLAIM, ARTICLE)]), negated[:, [1, 0, 2, 3]])

    shutil.rmtree(tmp_path / "model")
    never = EncoderStance(
        card_with(tmp_path, {"prefix": "It is false that ", "weight": 1.0, "gate": 1.01})
    )
    assert np.array_equal(never._probabilities([(CLAIM, ARTICLE)]), plain)

    shutil.rmtree(tmp_path / "model")
    half = EncoderStance(
        card_with(tmp_path, {"prefix": "It is false that ", "weight": 0.5, "gate": 0.0})
    )
    assert np.allclose(
        half._probabilities([(CLAIM, ARTICLE)]), (plain + negated[:, [1, 0, 2, 3]]) / 2
    )
