"""client_replica: the account manager's department and the responsible head, as the client
events carry them (filled from staff_replica where it can be)

Revision ID: 6d627e302ee2
Revises: 3f9a2c7e1b64
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import client_replica_team_v1, drop_client_replica_team_v1

revision = "6d627e302ee2"
down_revision = "3f9a2c7e1b64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    client_replica_team_v1()


def downgrade() -> None:
    drop_client_replica_team_v1()
