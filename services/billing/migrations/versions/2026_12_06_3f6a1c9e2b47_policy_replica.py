"""policy_replica: the copy of the policies set at run time (shared/policy_replica.py)

Revision ID: 3f6a1c9e2b47
Revises: d382c9ecd451
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import create_policy_replica_v1, drop_policy_replica_v1

revision = "3f6a1c9e2b47"
down_revision = "d382c9ecd451"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_policy_replica_v1()


def downgrade() -> None:
    drop_policy_replica_v1()
