"""Loaders for the FNC-1 and Emergent stance data sets, with sha256 checks. Reads files.

Pairs come back with FNC-1 labels (agree, disagree, discuss, unrelated); Emergent's for /
against / observing map to agree / disagree / discuss.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures_paths import SHARED_DATA

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


class DataError(Exception):
    """A data file is missing, altered (wrong sha256) or malformed."""


@dataclass(frozen=True, slots=True)
class Pair:
    """One labelled (claim, article) pair with its FNC-1 label."""

    claim: str
    article: str
    label: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> Path:
    """Return `path` if its sha256 is `expected`; raise DataError otherwise."""
    if not path.is_file():
        raise DataError(f"missing data file {path}")
    actual = sha256_of(path)
    if actual != expected:
        raise DataError(f"{path}: sha256 {actual} does not match the expected {expected}")
    return path


def fnc1_sums(directory: Path = FNC1_DIR) -> dict[str, str]:
    """File name to sha256, from the data set's SHA256SUMS."""
    sums: dict[str, str] = {}
    for line in (directory / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest
    return sums


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_fnc1(split: str = "competition_test", directory: Path = FNC1_DIR) -> list[Pair]:
    """FNC-1 pairs (claim = headline, article = body) of `split`: competition_test or train."""
    if split not in ("competition_test", "train"):
        raise ValueError(f"unknown FNC-1 split {split!r}")
    sums = fnc1_sums(directory)
    paths = {}
    for kind in ("bodies", "stances"):
        name = f"{split}_{kind}.csv"
        if name not in sums:
            raise DataError(f"{name} is not listed in {directory / 'SHA256SUMS'}")
        paths[kind] = verify(directory / name, sums[name])
    bodies = {row["Body ID"]: row["articleBody"] for row in _read_csv(paths["bodies"])}
    pairs = []
    for row in _read_csv(paths["stances"]):
        if row["Body ID"] not in bodies:
            raise DataError(f"stance row names unknown body {row['Body ID']!r}")
        pairs.append(Pair(row["Headline"], bodies[row["Body ID"]], row["Stance"]))
    return pairs


def load_emergent(split: str = "test", directory: Path = EMERGENT_DIR) -> list[Pair]:
    """Emergent pairs (claim = claim headline, article = article headline) of test, train or all."""
    if split not in EMERGENT_FILES:
        raise ValueError(f"unknown Emergent split {split!r}")
    name = EMERGENT_FILES[split]
    path = verify(directory / name, EMERGENT_SHA256[name])
    pairs = []
    for row in _read_csv(path):
        stance = row["articleHeadlineStance"]
        if stance not in EMERGENT_LABELS:
            raise DataError(f"{name}: unknown stance {stance!r}")
        pairs.append(Pair(row["claimHeadline"], row["articleHeadline"], EMERGENT_LABELS[stance]))
    return pairs
