"""feedback keeps its client's account manager too (a copy of the replica's, kept current by
every change of it): a manager's feedback list reads their rows in its sort's order, and the
feedback report over a scope reads its managers' feedback from their index (carrying what it
counts on PostgreSQL), not the whole table joined to the clients

Revision ID: d4f6b8c0e2a5
Revises: a8c1e3f5b7d9
Create Date: 2026-12-07
"""

from __future__ import annotations

from shared.migration_ops import drop_manager_copy_v1, manager_copy_v1

revision = "d4f6b8c0e2a5"
down_revision = "a8c1e3f5b7d9"
branch_labels = None
depends_on = None

# (index, key on PostgreSQL, key on SQLite) of each sort of the feedback list
INDEXES = [
    ("ix_feedback_manager_received_at", "received_at", "received_at"),
    ("ix_feedback_manager_score", "score", "score"),
]
# what the feedback report reads, carried by the index of a manager's feedback by receipt
INCLUDE = {"ix_feedback_manager_received_at": ["kind", "score", "low", "withdrawn_at"]}


def upgrade() -> None:
    manager_copy_v1("feedback", INDEXES, INCLUDE)


def downgrade() -> None:
    drop_manager_copy_v1("feedback", INDEXES)
