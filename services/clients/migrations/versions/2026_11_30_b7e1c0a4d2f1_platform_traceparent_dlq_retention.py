"""platform tables v2: outbox.traceparent, dead_letters.resolved_at and resolution, an index
on inbox.processed_at (tracing, orbit dlq, retention)

Revision ID: b7e1c0a4d2f1
Revises: e41b7c2d9f05
Create Date: 2026-11-30
"""

from __future__ import annotations

from shared.migration_ops import drop_platform_tables_v2, platform_tables_v2

revision = "b7e1c0a4d2f1"
down_revision = "e41b7c2d9f05"
branch_labels = None
depends_on = None


def upgrade() -> None:
    platform_tables_v2()


def downgrade() -> None:
    drop_platform_tables_v2()
