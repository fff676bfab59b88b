"""Claims and evidence: entities, claims, mentions, evidence, claim events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what the models use: a migration must not change when the models do.
_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("opened", sa.Date(), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("denies", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("status", sa.String(16), server_default="open", nullable=False),
        sa.Column("status_changed_at", _UTC, nullable=True),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'corroborated', 'disputed', 'denied')",
            name=op.f("ck_claims_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
    )
    op.create_table(
        "entities",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(64), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("stance", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("claim_text_sha256", sa.String(64), nullable=False),
        sa.Column("backfill", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("judged_at", _UTC, nullable=False),
        sa.CheckConstraint(
            "stance IN ('supports', 'refutes', 'reports', 'unrelated')",
            name=op.f("ck_evidence_stance"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_evidence_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_evidence_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("claim_id", "article_id", name=op.f("uq_evidence_claim_id_article_id")),
    )
    op.create_index(op.f("ix_evidence_article_id"), "evidence", ["article_id"])
    op.create_table(
        "mentions",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_mentions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_mentions_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "entity_id", name=op.f("pk_mentions")),
    )
    op.create_index(op.f("ix_mentions_entity_id"), "mentions", ["entity_id"])
    op.create_table(
        "claim_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("old_status", sa.String(16), nullable=True),
        sa.Column("new_status", sa.String(16), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("alert_worthy", sa.Boolean(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.CheckConstraint(
            "kind IN ('status_changed', 'new_supporting_source', 'new_refuting_source')",
            name=op.f("ck_claim_events_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_events_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence.id"],
            name=op.f("fk_claim_events_evidence_id_evidence"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_events")),
    )
    op.create_index(op.f("ix_claim_events_claim_id"), "claim_events", ["claim_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_claim_events_claim_id"), table_name="claim_events")
    op.drop_table("claim_events")
    op.drop_index(op.f("ix_mentions_entity_id"), table_name="mentions")
    op.drop_table("mentions")
    op.drop_index(op.f("ix_evidence_article_id"), table_name="evidence")
    op.drop_table("evidence")
    op.drop_table("entities")
    op.drop_table("claims")
