"""the call records of the telephony integrations (matched to a contact, or waiting to be
assigned)

Revision ID: d1c4a7e2b9f6
Revises: 5d1e8a3c7b20
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "d1c4a7e2b9f6"
down_revision = "5d1e8a3c7b20"
branch_labels = None
depends_on = None

UNMATCHED = "client_id IS NULL"


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("integration", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("from_number", sa.String(length=64), nullable=False),
        sa.Column("to_number", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("started_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("recording_url", sa.String(length=2000), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("interaction_id", sa.Uuid(), nullable=True),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["interaction_id"], ["interactions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("integration", "external_id", name="uq_calls_external"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calls_client_number", ["client_id", "number", "started_at"], unique=False
        )
        batch_op.create_index("ix_calls_received", ["received_at", "id"], unique=False)
        batch_op.create_index(
            "ix_calls_unmatched",
            ["received_at", "id"],
            unique=False,
            postgresql_where=sa.text(UNMATCHED),
            sqlite_where=sa.text(UNMATCHED),
        )


def downgrade() -> None:
    op.drop_table("calls")
