"""department_rule_sets: a department's own notification rules (over the global ones for the
events of its clients)

Revision ID: 7c4e2a9d1f63
Revises: 5a2c8e1f4b37
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "7c4e2a9d1f63"
down_revision = "5a2c8e1f4b37"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_rule_sets",
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("rules", shared.db.JSONType, nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("department"),
    )


def downgrade() -> None:
    op.drop_table("department_rule_sets")
