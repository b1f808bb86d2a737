"""settings_versions (policies set at run time) and audit_log (the audit trail)

Revision ID: c5d2a9e7f310
Revises: ada60049a541
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.db import JSONType, UTCDateTime
from shared.migration_ops import create_audit_log_v1, drop_audit_log_v1

revision = "c5d2a9e7f310"
down_revision = "ada60049a541"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings_versions",
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", JSONType, nullable=False),
        sa.Column("changed_fields", JSONType, nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("department", "version"),
    )
    create_audit_log_v1()


def downgrade() -> None:
    drop_audit_log_v1()
    op.drop_table("settings_versions")
