"""FNC-1 for training: verified files, a held-out dev split of train by body, passages. Files.

Only `train_*` is ever used for fitting or for choosing anything; the competition test set is
read by the evaluation benchmark alone.
"""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

LABELS = ("agree", "disagree", "discuss", "unrelated")
DEV_SHARE = 0.1  # of train bodies, held out for every choice (checkpoint, thresholds)
SEED = 20241025


@dataclass(frozen=True, slots=True)
class Example:
    claim: str
    body_id: str
    body: str
    label: str


def _sums(directory: Path) -> dict[str, str]:
    sums = {}
    for line in (directory / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest
    return sums


def verified(directory: Path, name: str) -> Path:
    path = directory / name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    expected = _sums(directory)[name]
    if digest != expected:
        raise ValueError(f"{path}: sha256 {digest} is not the published {expected}")
    return path


def load(directory: Path, split: str) -> list[Example]:
    with verified(directory, f"{split}_bodies.csv").open(encoding="utf-8", newline="") as f:
        bodies = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}
    with verified(directory, f"{split}_stances.csv").open(encoding="utf-8", newline="") as f:
        return [
            Example(row["Headline"], row["Body ID"], bodies[row["Body ID"]], row["Stance"])
            for row in csv.DictReader(f)
        ]


def split_train(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(fit, dev): every pair of a held-out body goes to dev, so no body is seen in both."""
    body_ids = sorted({e.body_id for e in examples})
    random.Random(SEED).shuffle(body_ids)
    dev_bodies = set(body_ids[: round(len(body_ids) * DEV_SHARE)])
    fit = [e for e in examples if e.body_id not in dev_bodies]
    dev = [e for e in examples if e.body_id in dev_bodies]
    return fit, dev
