"""client_replica: an index on (account_manager_id, id), so a scope's clients are read from
the index alone

Revision ID: 5dae7f3b9c24
Revises: d3a7f1c9e5b2
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import (
    client_replica_manager_index_v1,
    drop_client_replica_manager_index_v1,
)

revision = "5dae7f3b9c24"
down_revision = "d3a7f1c9e5b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    client_replica_manager_index_v1()


def downgrade() -> None:
    drop_client_replica_manager_index_v1()
