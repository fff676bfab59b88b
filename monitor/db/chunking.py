"""Splitting long parameter lists into IN-clause-sized chunks; pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Well under SQLite's bound-parameter limit (32766 since 3.32, 999 before) and cheap for PostgreSQL.
IN_CHUNK_SIZE = 500


def chunks(values: Sequence[T], size: int = IN_CHUNK_SIZE) -> Iterator[Sequence[T]]:
    """`values` in consecutive slices of at most `size`."""
    if size < 1:
        raise ValueError("chunk size must be positive")
    for start in range(0, len(values), size):
        yield values[start : start + size]
