"""client_replica: the index on (account manager, id) also carries the timezone and name
(PostgreSQL), so the reports read a head's clients from the index alone (an index-only
scan per manager of the team), not the whole replica

Revision ID: 5be0c7a3d9f1
Revises: d7f2a4c6e8b1
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "5be0c7a3d9f1"
down_revision = "d7f2a4c6e8b1"
branch_labels = None
depends_on = None

INDEX = "ix_client_replica_manager_client"


def _recreate(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no covering index; its index stays as it is
    op.drop_index(INDEX, table_name="client_replica")
    op.create_index(
        INDEX, "client_replica", ["account_manager_id", "id"], postgresql_include=include
    )


def upgrade() -> None:
    _recreate(["timezone", "name"])


def downgrade() -> None:
    _recreate([])
