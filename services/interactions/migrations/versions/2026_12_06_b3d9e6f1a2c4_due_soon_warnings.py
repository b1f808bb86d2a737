"""the warnings before a deadline: tasks.due_soon_notified (task.due_soon, once per task and
deadline) and contact_cadence.warned_due_at (client.contact_due_soon, once per lapse), each
with the partial index its scan reads

Revision ID: b3d9e6f1a2c4
Revises: 4e7b2d0a9c58
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "b3d9e6f1a2c4"
down_revision = "4e7b2d0a9c58"
branch_labels = None
depends_on = None

TASKS_OPEN = "status = 'open' AND NOT due_soon_notified"
CADENCE_UNWARNED = "warned_due_at IS NULL OR warned_due_at <> due_at"


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("due_soon_notified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            "ix_tasks_open_due_soon",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text(TASKS_OPEN),
            sqlite_where=sa.text(TASKS_OPEN),
        )
    with op.batch_alter_table("contact_cadence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("warned_due_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_contact_cadence_warn",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text(CADENCE_UNWARNED),
            sqlite_where=sa.text(CADENCE_UNWARNED),
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_cadence", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_cadence_warn")
        batch_op.drop_column("warned_due_at")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_open_due_soon")
        batch_op.drop_column("due_soon_notified")
