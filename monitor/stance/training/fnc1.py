"""FNC-1 for training and evaluation: verified files, a held-out dev split of train by story. Files.

Only `train_*` is ever used for fitting or for choosing anything; the competition test set is
read by the evaluation benchmark alone.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from monitor.stance.metrics import FNC_LABELS

LABELS = FNC_LABELS
DEV_SHARE = 0.1  # of train bodies, held out by story for every choice (epoch, thresholds)
DEV_DENIAL_SHARE = 0.08  # of the disagree pairs, at least: enough denials to calibrate on
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


def stories(examples: list[Example]) -> dict[str, int]:
    """Node ("h:" + headline or "b:" + body id) to story number: the connected components of
    the related (headline, body) pairs. In FNC-1 a story is one claim with its articles."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for e in examples:
        head, body = find("h:" + e.claim), find("b:" + e.body_id)
        if e.label != "unrelated" and head != body:
            parent[max(head, body)] = min(head, body)
    roots = sorted({find(node) for node in list(parent)})
    number = {root: n for n, root in enumerate(roots)}
    return {node: number[find(node)] for node in list(parent)}


def split_train(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(fit, dev), held out by story: whole stories (`stories`) go to dev until it holds
    DEV_SHARE of the bodies and DEV_DENIAL_SHARE of the disagree pairs (denials cluster in a few
    stories), with every pair of their bodies. Pairs of fit bodies with a dev
    story's headline are left out of fit, so that no dev story is seen in training.

    The competition test set's stories are all new, and a split by body alone (which this was
    until minilm-fnc1-v2) leaves each dev body's headlines in fit: its dev scores were 10 FNC
    points above the test set's and picked models that generalise worse.
    """
    story = stories(examples)
    bodies_of: dict[int, set[str]] = {}
    for e in examples:
        bodies_of.setdefault(story["b:" + e.body_id], set()).add(e.body_id)
    order = sorted(bodies_of)
    random.Random(SEED).shuffle(order)
    total = len({e.body_id for e in examples})
    denials = Counter(story["b:" + e.body_id] for e in examples if e.label == "disagree")
    dev_stories: set[int] = set()
    held, held_denials = 0, 0
    for number in order:
        if held >= total * DEV_SHARE and held_denials >= denials.total() * DEV_DENIAL_SHARE:
            break
        dev_stories.add(number)
        held += len(bodies_of[number])
        held_denials += denials[number]
    dev = [e for e in examples if story["b:" + e.body_id] in dev_stories]
    fit = [
        e
        for e in examples
        if story["b:" + e.body_id] not in dev_stories and story["h:" + e.claim] not in dev_stories
    ]
    return fit, dev
