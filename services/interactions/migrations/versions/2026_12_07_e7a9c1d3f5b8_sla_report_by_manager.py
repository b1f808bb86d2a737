"""The SLA report reads a scope's requests by their copy of the client's account manager: the
index of a manager's requests by opening carries the columns it counts (PostgreSQL), the
index of a client's requests by opening no longer does, and the partial index of the call
requests (the missed calls) is by manager, not by client

Revision ID: e7a9c1d3f5b8
Revises: d4f6b8c0e2a5
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e7a9c1d3f5b8"
down_revision = "d4f6b8c0e2a5"
branch_labels = None
depends_on = None

# as of this revision (``store/models.py`` SLA_REPORT_COLUMNS)
SLA_COLUMNS = ["status", "answered_at", "due_at", "breached", "response_minutes", "close_code"]
CALLS = sa.text("interaction_type = 'call'")


def _recreate(name: str, key: list[str], include: list[str]) -> None:
    op.drop_index(name, table_name="requests")
    op.create_index(name, "requests", key, postgresql_include=include)


def _calls(name: str, key: str) -> None:
    op.create_index(name, "requests", [key], postgresql_where=CALLS, sqlite_where=CALLS)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate("ix_requests_client_opened", ["client_id", "opened_at", "id"], [])
        _recreate(
            "ix_requests_manager_opened_at", ["account_manager_id", "opened_at", "id"], SLA_COLUMNS
        )
    _calls("ix_requests_manager_calls", "account_manager_id")
    op.drop_index("ix_requests_client_calls", table_name="requests")


def downgrade() -> None:
    _calls("ix_requests_client_calls", "client_id")
    op.drop_index("ix_requests_manager_calls", table_name="requests")
    if op.get_bind().dialect.name == "postgresql":
        _recreate("ix_requests_manager_opened_at", ["account_manager_id", "opened_at", "id"], [])
        _recreate("ix_requests_client_opened", ["client_id", "opened_at", "id"], SLA_COLUMNS)
