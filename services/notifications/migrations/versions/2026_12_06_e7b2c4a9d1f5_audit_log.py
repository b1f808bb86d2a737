"""audit_log: the trail of the notification rules (global and per department)

Revision ID: e7b2c4a9d1f5
Revises: 5dae7f3b9c24
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import create_audit_log_v1, drop_audit_log_v1

revision = "e7b2c4a9d1f5"
down_revision = "5dae7f3b9c24"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log_v1()


def downgrade() -> None:
    drop_audit_log_v1()
