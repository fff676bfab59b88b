"""Ingest schema: feeds, items, articles and story clusters.

Revision ID: 0001
Revises:
Create Date: 2026-05-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of what the models use: a migration must not change when the models do.
_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("body_sha256", sa.String(64), nullable=True),
        sa.Column("next_check_at", _UTC, nullable=False),
        sa.Column("last_checked_at", _UTC, nullable=True),
        sa.Column("last_success_at", _UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.String(32), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("warning", sa.Text(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.CheckConstraint("source IN ('config', 'cli', 'opml', 'check')", name="ck_feeds_source"),
        sa.PrimaryKeyConstraint("id", name="pk_feeds"),
        sa.UniqueConstraint("url", name="uq_feeds_url"),
    )
    op.create_index("ix_feeds_active_next_check_at", "feeds", ["active", "next_check_at"])

    op.create_table(
        "story_clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("first_article_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_story_clusters"),
    )

    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_sha256", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("site_name", sa.Text(), nullable=True),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("published_at", _UTC, nullable=True),
        sa.Column("fetched_at", _UTC, nullable=False),
        sa.Column("text_status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=True),
        sa.Column("fingerprint", sa.BigInteger(), nullable=True),
        sa.Column("fp_band0", sa.Integer(), nullable=True),
        sa.Column("fp_band1", sa.Integer(), nullable=True),
        sa.Column("fp_band2", sa.Integer(), nullable=True),
        sa.Column("fp_band3", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("text_status IN ('ok', 'no_text')", name="ck_articles_text_status"),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["story_clusters.id"], name="fk_articles_cluster_id_story_clusters"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("url_sha256", name="uq_articles_url_sha256"),
    )
    for column in ("cluster_id", "fp_band0", "fp_band1", "fp_band2", "fp_band3"):
        op.create_index(f"ix_articles_{column}", "articles", [column])

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("key_sha256", sa.String(64), nullable=False),
        sa.Column("guid", sa.Text(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published_at", _UTC, nullable=True),
        sa.Column("first_seen_at", _UTC, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('stored', 'no_text', 'skipped', 'error')", name="ck_items_outcome"
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_items_article_id_articles",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_items_feed_id_feeds", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.UniqueConstraint("feed_id", "key_sha256", name="uq_items_feed_id_key_sha256"),
    )
    op.create_index("ix_items_article_id", "items", ["article_id"])


def downgrade() -> None:
    op.drop_table("items")
    op.drop_table("articles")
    op.drop_table("story_clusters")
    op.drop_table("feeds")
