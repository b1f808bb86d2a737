"""the lists' sorts: an index on (sort key, id) for each field a billing list sorts by
(``?sort=``; the keys as ``store.models`` declares them: text lower-cased, money as a
number, a missing date last)

Revision ID: f3b9d1e7c5a8
Revises: e7a1c3b5d9f2
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f3b9d1e7c5a8"
down_revision = "e7a1c3b5d9f2"
branch_labels = None
depends_on = None

# (index, table, key on PostgreSQL, key on SQLite)
INDEXES = [
    ("ix_contracts_sort_created_at", "contracts", "created_at", "created_at"),
    ("ix_contracts_sort_ends_on", "contracts", "ends_on", "ends_on"),
    ("ix_contracts_sort_number", "contracts", "lower(number)", "lower(number)"),
    ("ix_contracts_sort_starts_on", "contracts", "starts_on", "starts_on"),
    ("ix_contracts_sort_status", "contracts", "status", "status"),
    ("ix_contracts_sort_title", "contracts", "lower(title)", "lower(title)"),
    ("ix_estimates_sort_created_at", "estimates", "created_at", "created_at"),
    ("ix_estimates_sort_status", "estimates", "status", "status"),
    ("ix_estimates_sort_title", "estimates", "lower(title)", "lower(title)"),
    ("ix_estimates_sort_total", "estimates", "total", "CAST(total AS REAL)"),
    (
        "ix_estimates_sort_valid_until",
        "estimates",
        "coalesce(valid_until, '9999-12-31')",
        "coalesce(valid_until, '9999-12-31')",
    ),
    ("ix_invoices_sort_created_at", "invoices", "created_at", "created_at"),
    (
        "ix_invoices_sort_due_date",
        "invoices",
        "coalesce(due_date, '9999-12-31')",
        "coalesce(due_date, '9999-12-31')",
    ),
    (
        "ix_invoices_sort_issue_date",
        "invoices",
        "coalesce(issue_date, '9999-12-31')",
        "coalesce(issue_date, '9999-12-31')",
    ),
    ("ix_invoices_sort_number", "invoices", "coalesce(number, '')", "coalesce(number, '')"),
    ("ix_invoices_sort_status", "invoices", "status", "status"),
    ("ix_invoices_sort_total", "invoices", "total", "CAST(total AS REAL)"),
    ("ix_opportunities_sort_created_at", "opportunities", "created_at", "created_at"),
    (
        "ix_opportunities_sort_expected_close",
        "opportunities",
        "coalesce(expected_close, '9999-12-31')",
        "coalesce(expected_close, '9999-12-31')",
    ),
    ("ix_opportunities_sort_stage", "opportunities", "stage", "stage"),
    ("ix_opportunities_sort_title", "opportunities", "lower(title)", "lower(title)"),
    (
        "ix_opportunities_sort_value",
        "opportunities",
        "coalesce(value_amount, -1)",
        "CAST(coalesce(value_amount, -1) AS REAL)",
    ),
    ("ix_payments_sort_amount", "payments", "amount", "CAST(amount AS REAL)"),
    ("ix_payments_sort_created_at", "payments", "created_at", "created_at"),
    ("ix_payments_sort_received_at", "payments", "received_at", "received_at"),
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, table, postgresql_key, sqlite_key in INDEXES:
        key = sqlite_key if sqlite else postgresql_key
        op.create_index(name, table, [sa.text(key), sa.text("id")])


def downgrade() -> None:
    for name, table, _, _ in INDEXES:
        op.drop_index(name, table_name=table)
