"""assignments and contacts

Revision ID: 291dc7ec0b26
Revises: 82ecaa517dc1
Create Date: 2026-11-23 00:35:52.062062
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db

revision = "291dc7ec0b26"
down_revision = "82ecaa517dc1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("from_manager_id", sa.Uuid(), nullable=True),
        sa.Column("to_manager_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["from_manager_id"],
            ["staff.id"],
        ),
        sa.ForeignKeyConstraint(
            ["to_manager_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_client_assignments_client", ["client_id", "assigned_at", "id"], unique=False
        )

    op.create_table(
        "contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column(
            "roles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("birthday", sa.String(length=10), nullable=True),
        sa.Column("birthday_md", sa.Integer(), nullable=True),
        sa.Column("preferred_channel", sa.String(length=20), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "email", name="uq_contacts_client_email"),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_birthday_md"), ["birthday_md"], unique=False)
        batch_op.create_index("ix_contacts_client", ["client_id", "created_at", "id"], unique=False)

    op.create_table(
        "contact_roles",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contact_id", "role"),
    )
    with op.batch_alter_table("contact_roles", schema=None) as batch_op:
        batch_op.create_index("ix_contact_roles_role_client", ["role", "client_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contact_roles", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_roles_role_client")

    op.drop_table("contact_roles")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_client")
        batch_op.drop_index(batch_op.f("ix_contacts_birthday_md"))

    op.drop_table("contacts")
    with op.batch_alter_table("client_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_client_assignments_client")

    op.drop_table("client_assignments")
