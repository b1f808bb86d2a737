"""meeting reports can be amended: the count of amendments, the last one's time, author and
reason

Revision ID: e4f6a8b1c3d5
Revises: d7e2b4c8f1a3
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "e4f6a8b1c3d5"
down_revision = "d7e2b4c8f1a3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(
            sa.Column("amended_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("amended_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("amendment_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting_reports", schema=None) as batch_op:
        batch_op.drop_column("amendment_reason")
        batch_op.drop_column("amended_by")
        batch_op.drop_column("amended_at")
        batch_op.drop_column("revision")
