"""Items by feed and first sighting: the adaptive polling interval reads a feed's newest items.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_items_feed_id_first_seen_at"), "items", ["feed_id", "first_seen_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_items_feed_id_first_seen_at"), table_name="items")
