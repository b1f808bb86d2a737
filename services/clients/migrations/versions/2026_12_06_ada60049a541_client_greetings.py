"""clients.greetings: the contacts get greetings by email (the manager's choice, off)

Revision ID: ada60049a541
Revises: 5572bd7d23ac
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ada60049a541"
down_revision = "5572bd7d23ac"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("greetings", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("greetings")
