"""client_replica: an index on (account_manager_id, id), so a scope's clients are read from
the index alone

Revision ID: 4c9f6e2a8b13
Revises: c9e4a2f7b1d6
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import (
    client_replica_manager_index_v1,
    drop_client_replica_manager_index_v1,
)

revision = "4c9f6e2a8b13"
down_revision = "c9e4a2f7b1d6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    client_replica_manager_index_v1()


def downgrade() -> None:
    drop_client_replica_manager_index_v1()
