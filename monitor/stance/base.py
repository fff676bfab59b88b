"""The interface every stance model implements. Pure."""

from __future__ import annotations

from collections.abc import Sequence
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


def judge_all(model: StanceModel, pairs: Sequence[tuple[str, str]]) -> list[Judgement]:
    """Judge (claim, article) pairs, in batches when the model can (`judge_many`)."""
    batched = getattr(model, "judge_many", None)
    if batched is not None:
        judged: list[Judgement] = batched(pairs)
        return judged
    return [model.judge(claim, article) for claim, article in pairs]
