"""platform tables

Revision ID: 8df71551923c
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

from shared.migration_ops import create_platform_tables_v1

revision = "8df71551923c"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables_v1()


def downgrade() -> None:
    op.drop_table("scheduled_alerts")
    op.drop_table("idempotency_keys")
    op.drop_table("dead_letters")
    op.drop_table("inbox")
    op.drop_table("outbox")
