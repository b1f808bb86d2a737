"""greeting_choices: the clients whose contacts get greetings (from the client events)

Revision ID: 4c8e1f6a9b27
Revises: 9e3c5a7b2d18
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4c8e1f6a9b27"
down_revision = "9e3c5a7b2d18"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "greeting_choices",
        sa.Column("client_id", sa.Uuid(), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("greeting_choices")
