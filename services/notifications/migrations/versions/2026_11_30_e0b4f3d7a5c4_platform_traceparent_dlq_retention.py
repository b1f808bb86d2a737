"""platform tables v2: outbox.traceparent, dead_letters.resolved_at and resolution, an index
on inbox.processed_at (tracing, orbit dlq, retention); an index on delivery_attempts.at

Revision ID: e0b4f3d7a5c4
Revises: 5c0a7d3e9b21
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

from shared.migration_ops import drop_platform_tables_v2, platform_tables_v2

revision = "e0b4f3d7a5c4"
down_revision = "5c0a7d3e9b21"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v2()
    # Retention of the delivery attempts goes by their time.
    op.create_index("ix_delivery_attempts_at", "delivery_attempts", ["at"])


def downgrade() -> None:
    op.drop_index("ix_delivery_attempts_at", table_name="delivery_attempts")
    drop_platform_tables_v2()
