"""client_billing_details: a client's legal and bank details (invoices, certificates of
completed work)

Revision ID: a2c6e8f0b4d7
Revises: f3b9d1e7c5a8
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "a2c6e8f0b4d7"
down_revision = "f3b9d1e7c5a8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_billing_details",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("legal_name", sa.String(length=300), nullable=True),
        sa.Column("tax_id", sa.String(length=50), nullable=True),
        sa.Column("registration_code", sa.String(length=50), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("bank_name", sa.String(length=300), nullable=True),
        sa.Column("bank_account", sa.String(length=50), nullable=True),
        sa.Column("bank_code", sa.String(length=50), nullable=True),
        sa.Column("correspondent_account", sa.String(length=50), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )


def downgrade() -> None:
    op.drop_table("client_billing_details")
