"""contracts.external_id, invoices.external_id and invoices.external_number: the key of a
contract or an open invoice imported from another system (POST /api/v1/imports, kinds
contracts and invoices), unique per table (NULL for those made in Orbit), and the number
the invoice had there

Revision ID: d7f2a4c6e8b1
Revises: 4c9f6e2a8b13
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d7f2a4c6e8b1"
down_revision = "4c9f6e2a8b13"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contracts", sa.Column("external_id", sa.String(200), nullable=True))
    op.add_column("invoices", sa.Column("external_id", sa.String(200), nullable=True))
    op.add_column("invoices", sa.Column("external_number", sa.String(100), nullable=True))
    op.create_index("uq_contracts_external_id", "contracts", ["external_id"], unique=True)
    op.create_index("uq_invoices_external_id", "invoices", ["external_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_invoices_external_id", table_name="invoices")
    op.drop_index("uq_contracts_external_id", table_name="contracts")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("external_number")
        batch.drop_column("external_id")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("external_id")
