"""deliveries.sender_name, reply_to: an email to a client comes from their account manager

Revision ID: 2b7d4e9a1c35
Revises: 617ad93cbae4
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2b7d4e9a1c35"
down_revision = "617ad93cbae4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("sender_name", sa.String(200), nullable=True))
    op.add_column("deliveries", sa.Column("reply_to", sa.String(320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch:
        batch.drop_column("reply_to")
        batch.drop_column("sender_name")
