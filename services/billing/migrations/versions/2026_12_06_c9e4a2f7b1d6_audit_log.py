"""audit_log: the trail of the corrections (payment reversal, credit note, estimate changes,
void)

Revision ID: c9e4a2f7b1d6
Revises: b8d4f2a6c0e3
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import create_audit_log_v1, drop_audit_log_v1

revision = "c9e4a2f7b1d6"
down_revision = "b8d4f2a6c0e3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_log_v1()


def downgrade() -> None:
    drop_audit_log_v1()
