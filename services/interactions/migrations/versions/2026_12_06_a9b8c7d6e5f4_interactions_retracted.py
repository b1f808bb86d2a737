"""interactions can be retracted (logged by mistake): when, by whom, why; the contact cadence
keeps when the client became known (``known_at``: what it counts from when no contact counts;
existing rows start from their ``since``)

Revision ID: a9b8c7d6e5f4
Revises: ff805bec84fe
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "a9b8c7d6e5f4"
down_revision = "ff805bec84fe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retracted_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("retracted_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("retract_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("contact_cadence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("known_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE contact_cadence SET known_at = since")


def downgrade() -> None:
    with op.batch_alter_table("contact_cadence", schema=None) as batch_op:
        batch_op.drop_column("known_at")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("retract_reason")
        batch_op.drop_column("retracted_by")
        batch_op.drop_column("retracted_at")
