"""the lists' sorts: an index on (sort key, id) for each field an interactions list sorts by
(``?sort=``) that had none (each list's default sort has had its index all along)

Revision ID: e9c3a5b7d1f2
Revises: d1c4a7e2b9f6
Create Date: 2026-12-06
"""

from __future__ import annotations

from shared.migration_ops import create_sort_indexes_v1, drop_sort_indexes_v1

revision = "e9c3a5b7d1f2"
down_revision = "d1c4a7e2b9f6"
branch_labels = None
depends_on = None

# (index, table, key)
INDEXES = [
    ("ix_interactions_sort_created_at", "interactions", "created_at"),
    ("ix_requests_sort_due_at", "requests", "due_at"),
    ("ix_requests_sort_status", "requests", "status"),
    ("ix_tasks_sort_due_at", "tasks", "due_at"),
    ("ix_tasks_sort_status", "tasks", "status"),
    ("ix_feedback_sort_score", "feedback", "score"),
    ("ix_planned_meetings_sort_created_at", "planned_meetings", "created_at"),
]


def upgrade() -> None:
    create_sort_indexes_v1(INDEXES)


def downgrade() -> None:
    drop_sort_indexes_v1(INDEXES)
