"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL (builds statements; no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import DeclarativeBase, Session


def insert_ignoring_conflicts(
    session: Session, model: type[DeclarativeBase], index_elements: Sequence[str]
) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into `model`'s table that silently skips rows violating the unique index on
    `index_elements`, in the dialect of the session's database."""
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    raise NotImplementedError(f"no ON CONFLICT support for {dialect}")


def rowcount(result: Any) -> int:
    """Rows an UPDATE/DELETE touched. (Not for INSERT: with implicit RETURNING, PostgreSQL
    reports -1; use an explicit RETURNING there.)"""
    assert isinstance(result, CursorResult)
    return result.rowcount
