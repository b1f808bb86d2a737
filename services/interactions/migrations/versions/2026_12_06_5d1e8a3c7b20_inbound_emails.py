"""email in: the messages read from the mailbox (once each) and how far it was read

Revision ID: 5d1e8a3c7b20
Revises: b6c3e8d1f4a7
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "5d1e8a3c7b20"
down_revision = "b6c3e8d1f4a7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mailbox", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("in_reply_to", sa.String(length=998), nullable=True),
        sa.Column("reference_ids", JSON, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("interaction_id", sa.Uuid(), nullable=True),
        sa.Column("attachments", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "message_id", name="uq_inbound_emails_message"),
    )
    op.create_index(
        "ix_inbound_emails_outcome", "inbound_emails", ["outcome", "received_at"], unique=False
    )
    op.create_table(
        "mailbox_state",
        sa.Column("mailbox", sa.String(length=300), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("polled_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_state")
    op.drop_index("ix_inbound_emails_outcome", table_name="inbound_emails")
    op.drop_table("inbound_emails")
