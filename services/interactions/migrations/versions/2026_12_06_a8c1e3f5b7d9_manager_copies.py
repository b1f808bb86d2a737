"""interactions and requests keep their client's account manager (a copy of the replica's,
kept current by every change of it): a manager's list reads their rows in its sort's order
from an index on (manager, key, id), not the whole sort's index for their ~1 % of the rows;
the activity report reads a scope's interactions from the index of their default sort alone
(PostgreSQL)

Revision ID: a8c1e3f5b7d9
Revises: c5d7e9f1a3b6
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import drop_manager_copy_v1, manager_copy_v1

revision = "a8c1e3f5b7d9"
down_revision = "c5d7e9f1a3b6"
branch_labels = None
depends_on = None

# table -> (index, key on PostgreSQL, key on SQLite) of each of its list's sorts
COPIES = {
    "interactions": [
        ("ix_interactions_manager_occurred_at", "occurred_at", "occurred_at"),
        ("ix_interactions_manager_created_at", "created_at", "created_at"),
    ],
    "requests": [
        ("ix_requests_manager_opened_at", "opened_at", "opened_at"),
        ("ix_requests_manager_due_at", "due_at", "due_at"),
        ("ix_requests_manager_status", "status", "status"),
    ],
}


# what the activity report reads, carried by the index of a manager's interactions by time
INCLUDE = {
    "ix_interactions_manager_occurred_at": [
        "author_id",
        "type",
        "retracted_at",
        "report_submitted_at",
        "report_due_at",
    ]
}


def upgrade() -> None:
    for table, indexes in COPIES.items():
        manager_copy_v1(table, indexes, INCLUDE)


def downgrade() -> None:
    for table, indexes in COPIES.items():
        drop_manager_copy_v1(table, indexes)
