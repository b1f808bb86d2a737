"""clients: an index on (account_manager_id, tier, status, name_lower, id, name), so the
portfolio report of a scope reads the index alone

Revision ID: 6e1f8a4c2d37
Revises: e7a3c91b5d20
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import clients_portfolio_index_v1, drop_clients_portfolio_index_v1

revision = "6e1f8a4c2d37"
down_revision = "e7a3c91b5d20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    clients_portfolio_index_v1()


def downgrade() -> None:
    drop_clients_portfolio_index_v1()
