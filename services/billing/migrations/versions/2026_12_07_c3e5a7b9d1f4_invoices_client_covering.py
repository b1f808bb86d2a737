"""the index of a client's invoices carries what the ageing and payment-discipline reports
add up (PostgreSQL's INCLUDE): a head's report reads ~30,000 invoices from the index alone,
not each one's row as well

Revision ID: c3e5a7b9d1f4
Revises: b2d4f6a8c0e1
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "c3e5a7b9d1f4"
down_revision = "b2d4f6a8c0e1"
branch_labels = None
depends_on = None

# frozen here: the model's INVOICE_REPORT_COLUMNS may change later
COLUMNS = ["currency", "due_date", "issue_date", "paid_on", "total", "amount_paid"]


def _index(include: list[str]) -> None:
    op.drop_index("ix_invoices_client_status", table_name="invoices")
    op.create_index(
        "ix_invoices_client_status",
        "invoices",
        ["client_id", "status"],
        postgresql_include=include,
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _index(COLUMNS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _index([])
