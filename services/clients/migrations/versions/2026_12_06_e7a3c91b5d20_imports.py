"""imports: external_id on staff, clients and contacts, and the imports table

Revision ID: e7a3c91b5d20
Revises: d8a4c2e6f0b1
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.db import JSONType, UTCDateTime

revision = "e7a3c91b5d20"
down_revision = "d8a4c2e6f0b1"
branch_labels = None
depends_on = None

TABLES = ("staff", "clients", "contacts")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
            batch_op.create_unique_constraint(f"uq_{table}_external_id", ["external_id"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("caller_id", sa.Uuid(), nullable=False),
        sa.Column("caller_role", sa.String(20), nullable=False),
        sa.Column("caller_department", sa.String(200), nullable=True),
        sa.Column("file_name", sa.String(300), nullable=True),
        sa.Column("rows", JSONType, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("errors", JSONType, nullable=False),
        sa.Column("outcome", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_imports_status", "imports", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_imports_status", table_name="imports")
    op.drop_table("imports")
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_external_id", type_="unique")
            batch_op.drop_column("external_id")
