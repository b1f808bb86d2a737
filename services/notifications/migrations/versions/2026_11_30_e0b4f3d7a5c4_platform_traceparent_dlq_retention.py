"""platform tables v2: outbox.traceparent, dead_letters.resolved_at and resolution, an index
on inbox.processed_at (tracing, orbit dlq, retention)

Revision ID: e0b4f3d7a5c4
Revises: 33fc15af3e43
Create Date: 2026-11-30
"""

from __future__ import annotations

from shared.migration_ops import drop_platform_tables_v2, platform_tables_v2

revision = "e0b4f3d7a5c4"
down_revision = "33fc15af3e43"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v2()


def downgrade() -> None:
    drop_platform_tables_v2()
