"""platform tables v2: outbox.traceparent, dead_letters.resolved_at and resolution, an index
on inbox.processed_at (tracing, orbit dlq, retention)

Revision ID: c8f2d1b5e3a2
Revises: c7eeb37b94cf
Create Date: 2026-11-30
"""

from __future__ import annotations

from shared.migration_ops import drop_platform_tables_v2, platform_tables_v2

revision = "c8f2d1b5e3a2"
down_revision = "c7eeb37b94cf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v2()


def downgrade() -> None:
    drop_platform_tables_v2()
