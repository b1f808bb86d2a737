"""staff: a job title (signs the emails to their clients)

Revision ID: 5572bd7d23ac
Revises: b7e1c0a4d2f1
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5572bd7d23ac"
down_revision = "b7e1c0a4d2f1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("title")
