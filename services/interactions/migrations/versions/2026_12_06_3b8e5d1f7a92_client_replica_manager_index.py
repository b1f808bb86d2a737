"""client_replica: an index on (account_manager_id, id), so a scope's clients are read from
the index alone; requests: a partial index of the call requests by client (the SLA report's
missed calls)

Revision ID: 3b8e5d1f7a92
Revises: e9c3a5b7d1f2
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import (
    client_replica_manager_index_v1,
    drop_client_replica_manager_index_v1,
    drop_requests_client_calls_index_v1,
    requests_client_calls_index_v1,
)

revision = "3b8e5d1f7a92"
down_revision = "e9c3a5b7d1f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    client_replica_manager_index_v1()
    requests_client_calls_index_v1()


def downgrade() -> None:
    drop_requests_client_calls_index_v1()
    drop_client_replica_manager_index_v1()
