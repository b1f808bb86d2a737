"""clients.name_lower as text

A name's lower case can be longer than the name ("İ".lower() is two characters), so the
column that holds it has no length limit since this revision: ``text`` instead of
``varchar(300)``. On SQLite the table is rebuilt (batch mode); its rows and the rows
referencing them stay.

Revision ID: 5b1e0c7d9a42
Revises: 80eb50822fc5
Create Date: 2026-11-23 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b1e0c7d9a42"
down_revision = "80eb50822fc5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.alter_column(
            "name_lower",
            existing_type=sa.String(length=300),
            type_=sa.Text(),
            existing_nullable=False,
        )


def downgrade() -> None:
    # Names whose lower case is longer than 300 characters keep their first 300.
    clients = sa.table("clients", sa.column("name_lower", sa.Text()))
    op.execute(
        clients.update()
        .where(sa.func.length(clients.c.name_lower) > 300)
        .values(name_lower=sa.func.substr(clients.c.name_lower, 1, 300))
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.alter_column(
            "name_lower",
            existing_type=sa.Text(),
            type_=sa.String(length=300),
            existing_nullable=False,
        )
