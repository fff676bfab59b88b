"""The interface every stance model implements. Pure."""

from __future__ import annotations

from typing import Protocol

from monitor.stance.types import Judgement


class StanceModel(Protocol):
    """Judges what an article does with a claim: supports, refutes, reports or is unrelated."""

    @property
    def version(self) -> str:
        """A short name and version of the model, stored with every judgement it makes."""
        ...

    def judge(self, claim: str, article: str) -> Judgement:
        """Return the stance of `article` (plain text) towards `claim` (one sentence)."""
        ...
