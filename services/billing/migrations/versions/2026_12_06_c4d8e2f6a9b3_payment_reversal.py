"""payments.reversed_at, reversed_by, reversal_reason: a bounced or mis-booked payment
reversed (POST /payments/{id}/reverse)

Revision ID: c4d8e2f6a9b3
Revises: b1e5a7c0d2f1
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "c4d8e2f6a9b3"
down_revision = "b1e5a7c0d2f1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "payments", sa.Column("reversed_at", shared.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("payments", sa.Column("reversed_by", sa.Uuid(), nullable=True))
    op.add_column("payments", sa.Column("reversal_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("reversal_reason")
        batch.drop_column("reversed_by")
        batch.drop_column("reversed_at")
