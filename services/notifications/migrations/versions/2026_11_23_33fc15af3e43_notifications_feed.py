"""notifications feed

Revision ID: 33fc15af3e43
Revises: de2d81280ab9
Create Date: 2026-11-23 00:11:05.972064
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "33fc15af3e43"
down_revision = "de2d81280ab9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient_id", "event_id", name="uq_notifications_recipient_event"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_feed", ["recipient_id", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_feed")

    op.drop_table("notifications")
