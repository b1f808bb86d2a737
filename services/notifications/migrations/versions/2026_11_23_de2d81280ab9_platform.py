"""platform tables and replicas of the clients service

Revision ID: de2d81280ab9
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

from shared.migration_ops import create_platform_tables_v1, create_replica_tables_v1

revision = "de2d81280ab9"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables_v1()
    create_replica_tables_v1()


def downgrade() -> None:
    op.drop_table("client_replica")
    op.drop_table("staff_replica")
    op.drop_table("scheduled_alerts")
    op.drop_table("idempotency_keys")
    op.drop_table("dead_letters")
    op.drop_table("inbox")
    op.drop_table("outbox")
