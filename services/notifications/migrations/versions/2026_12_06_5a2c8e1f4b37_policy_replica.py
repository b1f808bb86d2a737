"""policy_replica: the copy of the policies set at run time (shared/policy_replica.py): the
scorecard's deviation threshold and report schedules

Revision ID: 5a2c8e1f4b37
Revises: c8d41f7e2a90
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import create_policy_replica_v1, drop_policy_replica_v1

revision = "5a2c8e1f4b37"
down_revision = "c8d41f7e2a90"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_policy_replica_v1()


def downgrade() -> None:
    drop_policy_replica_v1()
