"""files: documents attached to clients, interactions, meeting reports, contracts, invoices

Revision ID: 8f3c1d2e4a67
Revises: c5d2a9e7f310
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision = "8f3c1d2e4a67"
down_revision = "c5d2a9e7f310"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_type", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_files_owner", "files", ["owner_type", "owner_id", "created_at", "id"])
    op.create_index("ix_files_client", "files", ["client_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_files_client", table_name="files")
    op.drop_index("ix_files_owner", table_name="files")
    op.drop_table("files")
