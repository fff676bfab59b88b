"""The FNC-1 and Emergent loaders of the stance benchmark: sha256 checks, labels and counts."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from tests.benchmarks.stance_data import (
    DataError,
    Pair,
    fnc1_sums,
    load_emergent,
    load_fnc1,
    same_text,
    seen_in_fnc1_train,
    verify,
)
from tests.fixtures_paths import require_shared

BODIES = 'Body ID,articleBody\n7,"Peskov denied it.\n\nOnly one call."\n'
STANCES = "Headline,Body ID,Stance\nMusk and Putin talk,7,disagree\nA cat,7,unrelated\n"


def _write_fnc1(directory: Path, bodies: str = BODIES, listed_bodies: str = BODIES) -> None:
    (directory / "train_bodies.csv").write_text(bodies, encoding="utf-8")
    (directory / "train_stances.csv").write_text(STANCES, encoding="utf-8")
    sums = [
        f"{hashlib.sha256(listed_bodies.encode()).hexdigest()}  train_bodies.csv",
        f"{hashlib.sha256(STANCES.encode()).hexdigest()}  train_stances.csv",
    ]
    (directory / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")


def test_load_fnc1_pairs_headline_with_body(tmp_path: Path) -> None:
    _write_fnc1(tmp_path)
    assert load_fnc1("train", tmp_path) == [
        Pair("Musk and Putin talk", "Peskov denied it.\n\nOnly one call.", "disagree"),
        Pair("A cat", "Peskov denied it.\n\nOnly one call.", "unrelated"),
    ]


def test_altered_file_is_refused(tmp_path: Path) -> None:
    _write_fnc1(tmp_path, bodies=BODIES.replace("one", "two"))
    with pytest.raises(DataError, match="sha256"):
        load_fnc1("train", tmp_path)


def test_file_missing_from_sums_is_refused(tmp_path: Path) -> None:
    _write_fnc1(tmp_path)
    with pytest.raises(DataError, match="not listed"):
        load_fnc1("competition_test", tmp_path)


def test_verify_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing"):
        verify(tmp_path / "absent.csv", "0" * 64)


def test_unknown_split_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="split"):
        load_fnc1("dev")
    with pytest.raises(ValueError, match="split"):
        load_emergent("dev")


def test_shared_fnc1_competition_test_set(shared_data: Path) -> None:
    directory = require_shared(shared_data / "fnc1")
    assert "competition_test_stances.csv" in fnc1_sums(directory)
    counts = Counter(pair.label for pair in load_fnc1("competition_test", directory))
    assert counts == {"unrelated": 18349, "discuss": 4464, "agree": 1903, "disagree": 697}


def test_shared_emergent_test_split(shared_data: Path) -> None:
    directory = require_shared(shared_data / "emergent")
    pairs = load_emergent("test", directory)
    assert Counter(pair.label for pair in pairs) == {"agree": 246, "discuss": 187, "disagree": 91}
    assert pairs[0].claim == "ISIS leader Abu Bakr al-Baghdadi was wounded in U.S. Airstrike"


def test_emergent_articles_that_are_also_fnc1_train_headlines_are_flagged(
    shared_data: Path,
) -> None:
    require_shared(shared_data / "fnc1")
    pairs = load_emergent("test", require_shared(shared_data / "emergent"))
    seen = seen_in_fnc1_train(pairs, shared_data / "fnc1")
    assert len(seen) == len(pairs)
    assert sum(seen) == 218  # FNC-1 was built from Emergent's articles
    assert same_text("  Kremlin DENIES\ncontact ") == "kremlin denies contact"
