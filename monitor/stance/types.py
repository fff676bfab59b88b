"""Stance labels and the judgement a stance model returns for one (claim, article) pair. Pure."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Stance(enum.StrEnum):
    """What an article does with a claim (DESIGN.md section 3), not whether the claim is true."""

    SUPPORTS = "supports"
    REFUTES = "refutes"
    REPORTS = "reports"
    UNRELATED = "unrelated"

    @property
    def fnc_label(self) -> str:
        """The FNC-1 label this stance is scored as: agree, disagree, discuss or unrelated."""
        return _FNC_LABELS[self]


_FNC_LABELS = {
    Stance.SUPPORTS: "agree",
    Stance.REFUTES: "disagree",
    Stance.REPORTS: "discuss",
    Stance.UNRELATED: "unrelated",
}


@dataclass(frozen=True, slots=True)
class Judgement:
    """One model's verdict on a (claim, article) pair.

    `confidence` is in [0, 1]; `quote` is the article sentence the verdict rests on (empty when
    the article is unrelated); `model_version` names the model that judged, stored with evidence.
    """

    stance: Stance
    confidence: float
    quote: str
    model_version: str

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence!r}")
