"""deliveries.traceparent: the W3C trace context of the consumer that wrote the delivery, so
its sending (the worker's ``email.send`` / ``webhook.send`` span) joins the event's trace

Revision ID: 7d2e5b19c0a3
Revises: e0b4f3d7a5c4
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7d2e5b19c0a3"
down_revision = "e0b4f3d7a5c4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("traceparent", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch:
        batch.drop_column("traceparent")
