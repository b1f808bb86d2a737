"""requests can be closed as not real (spam, a duplicate): when, by whom, the code and the
reason

Revision ID: f2c4d6e8a0b7
Revises: e4f6a8b1c3d5
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "f2c4d6e8a0b7"
down_revision = "e4f6a8b1c3d5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("closed_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("close_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("close_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("close_reason")
        batch_op.drop_column("close_code")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("closed_at")
