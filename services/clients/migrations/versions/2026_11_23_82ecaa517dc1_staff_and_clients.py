"""staff and clients

Revision ID: 82ecaa517dc1
Revises: 8df71551923c
Create Date: 2026-11-23 00:10:19.282743
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db

revision = "82ecaa517dc1"
down_revision = "8df71551923c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("head_id", sa.Uuid(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["head_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_department"), ["department"], unique=False)

    op.create_table(
        "clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_lower", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "sla_overrides",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_manager_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clients_account_manager_id"), ["account_manager_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_clients_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_clients_name_lower"), ["name_lower"], unique=False)
        batch_op.create_index(batch_op.f("ix_clients_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_clients_tier"), ["tier"], unique=False)

    op.create_table(
        "client_tags",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("client_id", "tag"),
    )
    with op.batch_alter_table("client_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_tags_tag"), ["tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("client_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_tags_tag"))

    op.drop_table("client_tags")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_tier"))
        batch_op.drop_index(batch_op.f("ix_clients_status"))
        batch_op.drop_index(batch_op.f("ix_clients_name_lower"))
        batch_op.drop_index(batch_op.f("ix_clients_created_at"))
        batch_op.drop_index(batch_op.f("ix_clients_account_manager_id"))

    op.drop_table("clients")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_department"))

    op.drop_table("staff")
