"""scorecard: credit notes (they take the revenue invoiced down in the period they are issued)

Revision ID: d3a7f1c9e5b2
Revises: 7c4e2a9d1f63
Create Date: 2026-12-06 08:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "d3a7f1c9e5b2"
down_revision = "7c4e2a9d1f63"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sc_credit_notes",
        sa.Column("credit_note_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", shared.db.Money(precision=20, scale=6), nullable=False),
        sa.Column("issued_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("credit_note_id"),
    )
    with op.batch_alter_table("sc_credit_notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sc_credit_notes_manager_issued", ["account_manager_id", "issued_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sc_credit_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_credit_notes_manager_issued")
    op.drop_table("sc_credit_notes")
