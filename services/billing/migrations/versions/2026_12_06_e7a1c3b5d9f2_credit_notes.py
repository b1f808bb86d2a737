"""credit notes: credit_notes (their own gap-free yearly series, credit_note_counters) and
invoices.credited

Revision ID: e7a1c3b5d9f2
Revises: c4d8e2f6a9b3
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db

revision = "e7a1c3b5d9f2"
down_revision = "c4d8e2f6a9b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_note_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subtotal", shared.db.Money(), nullable=False),
        sa.Column("tax", shared.db.Money(), nullable=False),
        sa.Column("total", shared.db.Money(), nullable=False),
        sa.Column("applied", shared.db.Money(), nullable=False),
        sa.Column("to_credit", shared.db.Money(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_credit_notes_number"),
    )
    op.create_index(op.f("ix_credit_notes_client_id"), "credit_notes", ["client_id"])
    op.create_index(op.f("ix_credit_notes_invoice_id"), "credit_notes", ["invoice_id"])
    op.add_column(
        "invoices",
        sa.Column("credited", shared.db.Money(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("credited")
    op.drop_index(op.f("ix_credit_notes_invoice_id"), table_name="credit_notes")
    op.drop_index(op.f("ix_credit_notes_client_id"), table_name="credit_notes")
    op.drop_table("credit_notes")
    op.drop_table("credit_note_counters")
