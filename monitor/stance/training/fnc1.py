"""FNC-1 for training and evaluation: verified files, a held-out dev split of train by body. Files.

Only `train_*` is ever used for fitting or for choosing anything; the competition test set is
read by the evaluation benchmark alone.
"""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from monitor.stance.metrics import FNC_LABELS

LABELS = FNC_LABELS
DEV_SHARE = 0.1  # of train bodies, held out for every choice (checkpoint, thresholds)
SEED = 20241025


class DataError(Exception):
    """A data file is missing, altered (wrong sha256) or malformed."""


@dataclass(frozen=True, slots=True)
class Example:
    claim: str
    body_id: str
    body: str
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


def fnc1_sums(directory: Path) -> dict[str, str]:
    """File name to sha256, from the data set's SHA256SUMS."""
    sums: dict[str, str] = {}
    for line in (directory / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest
    return sums


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load(directory: Path, split: str) -> list[Example]:
    """FNC-1 pairs of `split` (competition_test or train), every file's sha256 checked."""
    if split not in ("competition_test", "train"):
        raise ValueError(f"unknown FNC-1 split {split!r}")
    sums = fnc1_sums(directory)
    paths = {}
    for kind in ("bodies", "stances"):
        name = f"{split}_{kind}.csv"
        if name not in sums:
            raise DataError(f"{name} is not listed in {directory / 'SHA256SUMS'}")
        paths[kind] = verify(directory / name, sums[name])
    bodies = {row["Body ID"]: row["articleBody"] for row in read_csv(paths["bodies"])}
    examples = []
    for row in read_csv(paths["stances"]):
        if row["Body ID"] not in bodies:
            raise DataError(f"stance row names unknown body {row['Body ID']!r}")
        examples.append(
            Example(row["Headline"], row["Body ID"], bodies[row["Body ID"]], row["Stance"])
        )
    return examples


def split_train(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(fit, dev): every pair of a held-out body goes to dev, so no body is seen in both."""
    body_ids = sorted({e.body_id for e in examples})
    random.Random(SEED).shuffle(body_ids)
    dev_bodies = set(body_ids[: round(len(body_ids) * DEV_SHARE)])
    fit = [e for e in examples if e.body_id not in dev_bodies]
    dev = [e for e in examples if e.body_id in dev_bodies]
    return fit, dev
