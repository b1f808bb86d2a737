"""scorecard: requests closed as not real ones, per close code (out of the SLA figures)

Revision ID: f4c9a1e6b3d8
Revises: e7b2c4a9d1f5
Create Date: 2026-12-06 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "f4c9a1e6b3d8"
down_revision = "e7b2c4a9d1f5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sc_closed_requests",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("opened_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("sc_closed_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sc_closed_requests_manager_opened",
            ["account_manager_id", "opened_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sc_closed_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_closed_requests_manager_opened")
    op.drop_table("sc_closed_requests")
