"""Loaders for the FNC-1 and Emergent stance data sets, with sha256 checks. Reads files.

Pairs come back with FNC-1 labels (agree, disagree, discuss, unrelated); Emergent's for /
against / observing map to agree / disagree / discuss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.stance.training import fnc1
from monitor.stance.training.fnc1 import DataError, fnc1_sums, sha256_of, verify
from tests.fixtures_paths import SHARED_DATA

__all__ = ["DataError", "fnc1_sums", "sha256_of", "verify"]

FNC1_DIR = SHARED_DATA / "fnc1"
EMERGENT_DIR = SHARED_DATA / "emergent"
EMERGENT_FILES = {
    "test": "url-versions-2015-06-14-clean-test.csv",
    "train": "url-versions-2015-06-14-clean-train.csv",
    "all": "url-versions-2015-06-14-clean.csv",
}
EMERGENT_SHA256 = {
    "url-versions-2015-06-14-clean-test.csv": (
        "3e97add82d78e4a944657ea098bd017aeb4284b601815984b08eab43a7b66b89"
    ),
    "url-versions-2015-06-14-clean-train.csv": (
        "24c0cd8831992fa362bbd2738f6ca8a20e5b08b74076a7311ac001ddb81ef541"
    ),
    "url-versions-2015-06-14-clean.csv": (
        "7a8fa3b8e51e51c924eafac8428e60b79ca55968acae79d578b4786a80d6c4b8"
    ),
}
EMERGENT_LABELS = {"for": "agree", "against": "disagree", "observing": "discuss"}


@dataclass(frozen=True, slots=True)
class Pair:
    """One labelled (claim, article) pair with its FNC-1 label."""

    claim: str
    article: str
    label: str


def load_fnc1(split: str = "competition_test", directory: Path = FNC1_DIR) -> list[Pair]:
    """FNC-1 pairs (claim = headline, article = body) of `split`: competition_test or train."""
    return [Pair(e.claim, e.body, e.label) for e in fnc1.load(directory, split)]


def load_emergent(split: str = "test", directory: Path = EMERGENT_DIR) -> list[Pair]:
    """Emergent pairs (claim = claim headline, article = article headline) of test, train or all."""
    if split not in EMERGENT_FILES:
        raise ValueError(f"unknown Emergent split {split!r}")
    name = EMERGENT_FILES[split]
    path = verify(directory / name, EMERGENT_SHA256[name])
    pairs = []
    for row in fnc1.read_csv(path):
        stance = row["articleHeadlineStance"]
        if stance not in EMERGENT_LABELS:
            raise DataError(f"{name}: unknown stance {stance!r}")
        pairs.append(Pair(row["claimHeadline"], row["articleHeadline"], EMERGENT_LABELS[stance]))
    return pairs


def same_text(text: str) -> str:
    """`text` case-folded with its whitespace collapsed: how two headlines are compared."""
    return " ".join(text.casefold().split())


def seen_in_fnc1_train(pairs: Sequence[Pair], directory: Path = FNC1_DIR) -> list[bool]:
    """For each pair, whether its article is also a headline of FNC-1 train (`same_text`).
    FNC-1 was built from Emergent's articles, so many Emergent article headlines are FNC-1
    headlines, which the stance model was trained on as claims (against bodies, never against
    another headline): its figures on those pairs and on the rest tell how much that helps."""
    headlines = {same_text(e.claim) for e in fnc1.load(directory, "train")}
    return [same_text(pair.article) in headlines for pair in pairs]
