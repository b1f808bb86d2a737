"""invoices keep their client's account manager (a copy of the replica's, kept current by
every change of it): a manager's list reads their invoices in its sort's order from an index
on (manager, key, id), not the whole sort's index for their ~1 % of the rows

Revision ID: b2d4f6a8c0e1
Revises: 5be0c7a3d9f1
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import drop_manager_copy_v1, manager_copy_v1

revision = "b2d4f6a8c0e1"
down_revision = "5be0c7a3d9f1"
branch_labels = None
depends_on = None

# (index, key on PostgreSQL, key on SQLite) of each sort of the invoices list
INDEXES = [
    ("ix_invoices_manager_created_at", "created_at", "created_at"),
    (
        "ix_invoices_manager_due_date",
        "coalesce(due_date, '9999-12-31')",
        "coalesce(due_date, '9999-12-31')",
    ),
    (
        "ix_invoices_manager_issue_date",
        "coalesce(issue_date, '9999-12-31')",
        "coalesce(issue_date, '9999-12-31')",
    ),
    ("ix_invoices_manager_number", "coalesce(number, '')", "coalesce(number, '')"),
    ("ix_invoices_manager_status", "status", "status"),
    ("ix_invoices_manager_total", "total", "CAST(total AS REAL)"),
]


def upgrade() -> None:
    manager_copy_v1("invoices", INDEXES)


def downgrade() -> None:
    drop_manager_copy_v1("invoices", INDEXES)
