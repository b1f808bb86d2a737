"""platform tables v2: outbox.traceparent, dead_letters.resolved_at and resolution, an index
on inbox.processed_at (tracing, orbit dlq, retention)

Revision ID: d9a3e2c6f4b3
Revises: df4e639f5e59
Create Date: 2026-11-30
"""

from __future__ import annotations

from shared.migration_ops import drop_platform_tables_v2, platform_tables_v2

revision = "d9a3e2c6f4b3"
down_revision = "df4e639f5e59"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v2()


def downgrade() -> None:
    drop_platform_tables_v2()
