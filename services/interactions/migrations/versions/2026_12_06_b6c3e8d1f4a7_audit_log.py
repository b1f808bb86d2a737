"""audit_log: the trail of the corrections (retract, close, amend, withdraw)

Revision ID: b6c3e8d1f4a7
Revises: a9b8c7d6e5f4
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import create_audit_log_v1, drop_audit_log_v1

revision = "b6c3e8d1f4a7"
down_revision = "a9b8c7d6e5f4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log_v1()


def downgrade() -> None:
    drop_audit_log_v1()
