"""scorecard: the KPI projection tables and the scheduled report rows

Revision ID: 5c0a7d3e9b21
Revises: a7c3e91f42d8
Create Date: 2026-11-30 08:50:00.000000

Self-contained (the notifications rewrite adds its own revision; the lead re-chains them):
only sc_* tables, created and dropped here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "5c0a7d3e9b21"
down_revision = "a7c3e91f42d8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sc_allocations",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", shared.db.Money(precision=20, scale=6), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", "invoice_id"),
    )
    op.create_table(
        "sc_applied",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("applied_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "sc_cadence_lapses",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("due_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("client_id", "due_at"),
    )
    op.create_table(
        "sc_client_states",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("old_status", sa.String(length=20), nullable=True),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("sc_client_states", schema=None) as batch_op:
        batch_op.create_index("ix_sc_client_states_client", ["client_id", "at"], unique=False)

    op.create_table(
        "sc_feedback",
        sa.Column("feedback_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id"),
    )
    with op.batch_alter_table("sc_feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sc_feedback_manager_received", ["account_manager_id", "received_at"], unique=False
        )

    op.create_table(
        "sc_invoices",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("client_name", sa.String(length=300), nullable=True),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", shared.db.Money(precision=20, scale=6), nullable=False),
        sa.Column("balance", shared.db.Money(precision=20, scale=6), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source_time", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    with op.batch_alter_table("sc_invoices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sc_invoices_manager_issue", ["account_manager_id", "issue_date"], unique=False
        )

    op.create_table(
        "sc_meetings",
        sa.Column("interaction_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("report_on_time", sa.Boolean(), nullable=True),
        sa.Column("report_overdue", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("interaction_id"),
    )
    with op.batch_alter_table("sc_meetings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sc_meetings_manager_occurred", ["account_manager_id", "occurred_at"], unique=False
        )

    op.create_table(
        "sc_opportunity_states",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("opportunity_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("amount", shared.db.Money(precision=20, scale=6), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("sc_opportunity_states", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sc_opportunity_states_opportunity", ["opportunity_id", "at"], unique=False
        )

    op.create_table(
        "sc_payments",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", shared.db.Money(precision=20, scale=6), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payment_id"),
    )
    with op.batch_alter_table("sc_payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sc_payments_manager_received", ["account_manager_id", "received_at"], unique=False
        )

    op.create_table(
        "sc_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("attachment_name", sa.String(length=200), nullable=False),
        sa.Column("attachment", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recipient_id", "period", "period_start", name="uq_sc_reports_once"),
    )
    with op.batch_alter_table("sc_reports", schema=None) as batch_op:
        batch_op.create_index("ix_sc_reports_status", ["status", "created_at"], unique=False)

    op.create_table(
        "sc_requests",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("account_manager_id", sa.Uuid(), nullable=True),
        sa.Column("opened_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_minutes", sa.Integer(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("sc_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sc_requests_manager_opened", ["account_manager_id", "opened_at"], unique=False
        )

    op.create_table(
        "sc_staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("head_id", sa.Uuid(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source_time", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "sc_report_preferences",
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", "period"),
    )


def downgrade() -> None:
    op.drop_table("sc_report_preferences")
    op.drop_table("sc_staff")
    with op.batch_alter_table("sc_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_requests_manager_opened")

    op.drop_table("sc_requests")
    with op.batch_alter_table("sc_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_reports_status")

    op.drop_table("sc_reports")
    with op.batch_alter_table("sc_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_payments_manager_received")

    op.drop_table("sc_payments")
    with op.batch_alter_table("sc_opportunity_states", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_opportunity_states_opportunity")

    op.drop_table("sc_opportunity_states")
    with op.batch_alter_table("sc_meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_meetings_manager_occurred")

    op.drop_table("sc_meetings")
    with op.batch_alter_table("sc_invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_invoices_manager_issue")

    op.drop_table("sc_invoices")
    with op.batch_alter_table("sc_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_feedback_manager_received")

    op.drop_table("sc_feedback")
    with op.batch_alter_table("sc_client_states", schema=None) as batch_op:
        batch_op.drop_index("ix_sc_client_states_client")

    op.drop_table("sc_client_states")
    op.drop_table("sc_cadence_lapses")
    op.drop_table("sc_applied")
    op.drop_table("sc_allocations")
