"""rules, preferences, locales, webhooks, deliveries; escalation columns on notifications

Revision ID: a7c3e91f42d8
Revises: 33fc15af3e43
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db

JSONB_OR_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "a7c3e91f42d8"
down_revision = "33fc15af3e43"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("root_event_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("escalate_at", shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("escalate_after", sa.String(length=40), nullable=True))
        batch_op.create_index(
            "ix_notifications_escalate_at",
            ["escalate_at"],
            unique=False,
            postgresql_where=sa.text("escalate_at IS NOT NULL"),
            sqlite_where=sa.text("escalate_at IS NOT NULL"),
        )
        batch_op.create_index("ix_notifications_root", ["root_event_id"], unique=False)

    op.create_table(
        "rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rules", JSONB_OR_JSON, nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "preferences",
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("channels", JSONB_OR_JSON, nullable=False),
        sa.Column("quiet_hours", JSONB_OR_JSON, nullable=True),
        sa.Column("digest", JSONB_OR_JSON, nullable=True),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    op.create_table(
        "locales",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.PrimaryKeyConstraint("subject_id"),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", JSONB_OR_JSON, nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("failing_since", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.String(length=300), nullable=True),
        sa.Column("deleted_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("recipient_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.String(length=2000), nullable=True),
        sa.Column("webhook_id", sa.Uuid(), nullable=True),
        sa.Column("template", sa.String(length=60), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("text_body", sa.Text(), nullable=True),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_attempt_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_deliveries_key"),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_attempts_delivery", ["delivery_id", "number"], unique=False
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_due",
            ["channel", "next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_deliveries_list", ["created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_deliveries_webhook", ["webhook_id", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.drop_table("webhooks")
    op.drop_table("locales")
    op.drop_table("preferences")
    op.drop_table("rule_sets")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_root")
        batch_op.drop_index("ix_notifications_escalate_at")
        batch_op.drop_column("escalate_after")
        batch_op.drop_column("escalate_at")
        batch_op.drop_column("root_event_id")
        batch_op.drop_column("level")
