"""email in: the attachments of logged messages waiting to be kept as documents

Revision ID: 7c2e9a4b1d36
Revises: 3b8e5d1f7a92
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "7c2e9a4b1d36"
down_revision = "3b8e5d1f7a92"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_attachments_pending",
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("email_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["email_id"], ["inbound_emails.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("file_id"),
    )
    op.create_index(
        "ix_inbound_attachments_pending_created",
        "inbound_attachments_pending",
        ["created_at", "file_id"],
        unique=False,
    )
    op.create_index(
        "ix_inbound_attachments_pending_email_id",
        "inbound_attachments_pending",
        ["email_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_inbound_attachments_pending_email_id", table_name="inbound_attachments_pending"
    )
    op.drop_index(
        "ix_inbound_attachments_pending_created", table_name="inbound_attachments_pending"
    )
    op.drop_table("inbound_attachments_pending")
