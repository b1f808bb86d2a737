"""client_replica: the account manager's department and the responsible head, as the client
events carry them (filled from staff_replica where it can be)

Revision ID: d382c9ecd451
Revises: d9a3e2c6f4b3
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import client_replica_team_v1, drop_client_replica_team_v1

revision = "d382c9ecd451"
down_revision = "d9a3e2c6f4b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    client_replica_team_v1()


def downgrade() -> None:
    drop_client_replica_team_v1()
