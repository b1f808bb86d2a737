"""estimates.expiry_noticed_on and the expiry scan's partial index (drafts not yet noticed
expired, by valid_until)

Revision ID: b8d4f2a6c0e3
Revises: a2c6e8f0b4d7
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b8d4f2a6c0e3"
down_revision = "a2c6e8f0b4d7"
branch_labels = None
depends_on = None

UNNOTICED_DRAFT = "status = 'draft' AND expiry_noticed_on IS NULL"


def upgrade() -> None:
    op.add_column("estimates", sa.Column("expiry_noticed_on", sa.Date(), nullable=True))
    op.create_index(
        "ix_estimates_expiry",
        "estimates",
        ["valid_until"],
        postgresql_where=sa.text(UNNOTICED_DRAFT),
        sqlite_where=sa.text(UNNOTICED_DRAFT),
    )


def downgrade() -> None:
    op.drop_index("ix_estimates_expiry", table_name="estimates")
    with op.batch_alter_table("estimates") as batch:
        batch.drop_column("expiry_noticed_on")
