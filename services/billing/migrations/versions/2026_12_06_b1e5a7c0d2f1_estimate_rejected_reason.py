"""estimates.rejected_reason: why the client declined (POST /estimates/{id}/reject)

Revision ID: b1e5a7c0d2f1
Revises: 8c40d6109fd8
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b1e5a7c0d2f1"
down_revision = "8c40d6109fd8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("estimates", sa.Column("rejected_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("estimates") as batch:
        batch.drop_column("rejected_reason")
