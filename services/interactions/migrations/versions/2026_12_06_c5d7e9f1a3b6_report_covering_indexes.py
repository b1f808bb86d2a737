"""The reports read a head's department from indexes alone (PostgreSQL): the index of a
client's requests by opening also carries the columns the SLA report counts, and the index
of ``client_replica`` by account manager also carries the client's name and status (the
contact-cadence report). SQLite has no covering index; its indexes stay as they are.

Revision ID: c5d7e9f1a3b6
Revises: c3f8a1e5d7b9
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "c5d7e9f1a3b6"
down_revision = "c3f8a1e5d7b9"
branch_labels = None
depends_on = None

REQUESTS = "ix_requests_client_opened"
REPLICA = "ix_client_replica_manager_client"
# as of this revision (``store/models.py`` SLA_REPORT_COLUMNS)
SLA_COLUMNS = ["status", "answered_at", "due_at", "breached", "response_minutes", "close_code"]


def _recreate(requests_include: list[str], replica_include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(REQUESTS, table_name="requests")
    op.create_index(
        REQUESTS,
        "requests",
        ["client_id", "opened_at", "id"],
        postgresql_include=requests_include,
    )
    op.drop_index(REPLICA, table_name="client_replica")
    op.create_index(
        REPLICA, "client_replica", ["account_manager_id", "id"], postgresql_include=replica_include
    )


def upgrade() -> None:
    _recreate(SLA_COLUMNS, ["name", "status"])


def downgrade() -> None:
    _recreate([], [])
