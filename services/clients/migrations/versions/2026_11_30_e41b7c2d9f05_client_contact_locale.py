"""locale of clients and contacts (the language of emails to them)

Revision ID: e41b7c2d9f05
Revises: 5b1e0c7d9a42
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e41b7c2d9f05"
down_revision = "5b1e0c7d9a42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=35), nullable=True))
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("locale")
