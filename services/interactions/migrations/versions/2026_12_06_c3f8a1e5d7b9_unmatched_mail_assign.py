"""email in: unmatched mail assigned by hand (when, by whom; what logging it takes: its Date,
whether it is automatic, its text until then), its attachments held meanwhile (no interaction
yet), and the attachments' bounded retry (``retry_at``: not handed over again before)

Revision ID: c3f8a1e5d7b9
Revises: a3e7c1d9b5f4
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "c3f8a1e5d7b9"
down_revision = "a3e7c1d9b5f4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_emails", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sent_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("automatic", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("held_text", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("assigned_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("assigned_by", sa.Uuid(), nullable=True))
    with op.batch_alter_table("inbound_attachments_pending", schema=None) as batch_op:
        batch_op.alter_column("interaction_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.add_column(
            sa.Column("retry_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    op.execute("DELETE FROM inbound_attachments_pending WHERE interaction_id IS NULL")
    with op.batch_alter_table("inbound_attachments_pending", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.alter_column("interaction_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("inbound_emails", schema=None) as batch_op:
        batch_op.drop_column("assigned_by")
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("held_text")
        batch_op.drop_column("automatic")
        batch_op.drop_column("sent_at")
