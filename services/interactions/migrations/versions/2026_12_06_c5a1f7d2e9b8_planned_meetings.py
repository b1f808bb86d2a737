"""planned meetings and calls, their participants, and the link of the interaction (and its
report) logged when one is marked held

Revision ID: c5a1f7d2e9b8
Revises: b3d9e6f1a2c4
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db

revision = "c5a1f7d2e9b8"
down_revision = "b3d9e6f1a2c4"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
PLANNED = "status = 'planned'"
UNREMINDED = "status = 'planned' AND NOT reminder_notified"
NO_OUTCOME_YET = "status = 'planned' AND NOT no_outcome_notified"


def upgrade() -> None:
    op.create_table(
        "planned_meetings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=2000), nullable=True),
        sa.Column("starts_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("contact_ids", JSON, nullable=False),
        sa.Column("staff_ids", JSON, nullable=False),
        sa.Column("organizer_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminder_notified", sa.Boolean(), nullable=False),
        sa.Column("no_outcome_notified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["interaction_id"], ["interactions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("planned_meetings", schema=None) as batch_op:
        batch_op.create_index("ix_planned_meetings_starts", ["starts_at", "id"], unique=False)
        batch_op.create_index(
            "ix_planned_meetings_client_starts", ["client_id", "starts_at", "id"], unique=False
        )
        for name, columns, where in (
            ("ix_planned_meetings_remind", ["starts_at"], UNREMINDED),
            ("ix_planned_meetings_open_end", ["ends_at"], NO_OUTCOME_YET),
            ("ix_planned_meetings_planned_client", ["client_id", "starts_at"], PLANNED),
        ):
            batch_op.create_index(
                name,
                columns,
                unique=False,
                postgresql_where=sa.text(where),
                sqlite_where=sa.text(where),
            )
    op.create_table(
        "planned_meeting_participants",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["planned_meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "kind", "participant_id"),
    )
    with op.batch_alter_table("planned_meeting_participants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_planned_meeting_participants_person", ["participant_id", "kind"], unique=False
        )
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_id", sa.Uuid(), nullable=True))
    with op.batch_alter_table("meeting_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting_reports", schema=None) as batch_op:
        batch_op.drop_column("meeting_id")
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("meeting_id")
    op.drop_table("planned_meeting_participants")
    op.drop_table("planned_meetings")
