"""timeline: the client-at-a-glance projection (timeline entries, the state of each client's
dated things with their meetings' staff, the last contact per client) and the staff's calendar feeds

Revision ID: c8d41f7e2a90
Revises: c5d1e7a3f920
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "c8d41f7e2a90"
down_revision = "c5d1e7a3f920"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timeline_entries",
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("details", shared.db.JSONType, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("source_time", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_timeline_entries_client_at", "timeline_entries", ["client_id", "at", "key"])
    op.create_table(
        "timeline_items",
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("promised_by", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("balance", shared.db.Money(precision=20, scale=6), nullable=True),
        sa.Column("staff_id", sa.Uuid(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("birthday", sa.String(length=10), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("source_time", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_timeline_items_client", "timeline_items", ["client_id", "kind"])
    op.create_index("ix_timeline_items_staff", "timeline_items", ["staff_id", "kind"])
    op.create_table(
        "timeline_attendees",
        sa.Column("item_key", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("item_key", "staff_id"),
    )
    op.create_index("ix_timeline_attendees_staff", "timeline_attendees", ["staff_id"])
    op.create_table(
        "timeline_clients",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("last_contact_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index("ix_calendar_feeds_staff", "calendar_feeds", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_calendar_feeds_staff", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    op.drop_table("timeline_clients")
    op.drop_index("ix_timeline_attendees_staff", table_name="timeline_attendees")
    op.drop_table("timeline_attendees")
    op.drop_index("ix_timeline_items_staff", table_name="timeline_items")
    op.drop_index("ix_timeline_items_client", table_name="timeline_items")
    op.drop_table("timeline_items")
    op.drop_index("ix_timeline_entries_client_at", table_name="timeline_entries")
    op.drop_table("timeline_entries")
