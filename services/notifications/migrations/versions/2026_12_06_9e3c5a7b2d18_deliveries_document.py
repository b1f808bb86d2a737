"""deliveries.document: a document another service renders (the invoice PDF), fetched when
the email is sent

Revision ID: 9e3c5a7b2d18
Revises: 2b7d4e9a1c35
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9e3c5a7b2d18"
down_revision = "2b7d4e9a1c35"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("document", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch:
        batch.drop_column("document")
