"""policy_replica: the copy of the policies set at run time (shared/policy_replica.py)

Revision ID: 4e7b2d0a9c58
Revises: afad1a1fc30b
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import create_policy_replica_v1, drop_policy_replica_v1

revision = "4e7b2d0a9c58"
down_revision = "afad1a1fc30b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_policy_replica_v1()


def downgrade() -> None:
    drop_policy_replica_v1()
