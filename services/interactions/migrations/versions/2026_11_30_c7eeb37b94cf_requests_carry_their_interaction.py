"""requests carry what their events need of the interaction (type, subject, contact ids)

The SLA scans claim their due requests with one ``UPDATE … RETURNING`` and build each alert
from the returned row: no join to ``interactions`` a row. An interaction is never edited, so
the copies stay true. Existing rows are filled from their interaction.

Revision ID: c7eeb37b94cf
Revises: c4e2a9d17b35
Create Date: 2026-11-30 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c7eeb37b94cf"
down_revision = "c4e2a9d17b35"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("interaction_type", sa.String(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("subject", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("contact_ids", JSON, nullable=False, server_default=sa.text("'[]'"))
        )
    requests = sa.table(
        "requests",
        sa.column("interaction_id", sa.Uuid()),
        sa.column("interaction_type", sa.String()),
        sa.column("subject", sa.String()),
        sa.column("contact_ids", JSON),
    )
    interactions = sa.table(
        "interactions",
        sa.column("id", sa.Uuid()),
        sa.column("type", sa.String()),
        sa.column("subject", sa.String()),
        sa.column("contact_ids", JSON),
    )

    def of_interaction(column: sa.ColumnClause[object]) -> sa.ScalarSelect[object]:
        return (
            sa.select(column)
            .where(interactions.c.id == requests.c.interaction_id)
            .scalar_subquery()
        )

    op.execute(
        requests.update().values(
            interaction_type=of_interaction(interactions.c.type),
            subject=of_interaction(interactions.c.subject),
            contact_ids=of_interaction(interactions.c.contact_ids),
        )
    )
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.alter_column("interaction_type", server_default=None)
        batch_op.alter_column("contact_ids", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("contact_ids")
        batch_op.drop_column("subject")
        batch_op.drop_column("interaction_type")
