"""billing tables: contracts, invoices and their counter, payments, allocations, credit,
estimates, opportunities

Revision ID: df4e639f5e59
Revises: ea08873f01a3
Create Date: 2026-11-30 07:48:42.261904
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import shared.db

revision = "df4e639f5e59"
down_revision = "ea08873f01a3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("renewal_notice_days", sa.Integer(), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("value_amount", shared.db.Money(), nullable=True),
        sa.Column("value_currency", sa.String(length=3), nullable=True),
        sa.Column("budget_amount", shared.db.Money(), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("notice_sent_for", sa.Date(), nullable=True),
        sa.Column("next_check_on", sa.Date(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "number", name="uq_contracts_client_number"),
    )
    op.create_index(op.f("ix_contracts_client_id"), "contracts", ["client_id"], unique=False)
    op.create_index(
        "ix_contracts_next_check",
        "contracts",
        ["next_check_on"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
        sqlite_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "credit_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", shared.db.Money(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_credit_entries_client_currency",
        "credit_entries",
        ["client_id", "currency"],
        unique=False,
    )
    op.create_table(
        "invoice_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "opportunities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("value_amount", shared.db.Money(), nullable=True),
        sa.Column("value_currency", sa.String(length=3), nullable=True),
        sa.Column("expected_close", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("lost_reason", sa.Text(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_opportunities_client_id"), "opportunities", ["client_id"], unique=False
    )
    op.create_index("ix_opportunities_stage", "opportunities", ["stage"], unique=False)
    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("amount", shared.db.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("received_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("credit", shared.db.Money(), nullable=False),
        sa.Column("booked_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "reference", name="uq_payments_client_reference"),
    )
    op.create_index(op.f("ix_payments_client_id"), "payments", ["client_id"], unique=False)
    op.create_table(
        "estimates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subtotal", shared.db.Money(), nullable=False),
        sa.Column("tax", shared.db.Money(), nullable=False),
        sa.Column("total", shared.db.Money(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_estimates_client_id"), "estimates", ["client_id"], unique=False)
    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("estimate_id", sa.Uuid(), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("subtotal", shared.db.Money(), nullable=False),
        sa.Column("tax", shared.db.Money(), nullable=False),
        sa.Column("total", shared.db.Money(), nullable=False),
        sa.Column("amount_paid", shared.db.Money(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("dunning_step", sa.Integer(), nullable=True),
        sa.Column("overdue_sent", sa.Boolean(), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("promise_note", sa.Text(), nullable=True),
        sa.Column("promise_state", sa.String(length=10), nullable=True),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_invoices_number"),
    )
    op.create_index("ix_invoices_client_status", "invoices", ["client_id", "status"], unique=False)
    op.create_index("ix_invoices_contract", "invoices", ["contract_id"], unique=False)
    op.create_index(
        "ix_invoices_next_action",
        "invoices",
        ["next_action_on"],
        unique=False,
        postgresql_where=sa.text("status IN ('issued', 'partially_paid', 'overdue')"),
        sqlite_where=sa.text("status IN ('issued', 'partially_paid', 'overdue')"),
    )
    op.create_table(
        "allocations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("amount", shared.db.Money(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_allocations_invoice_id"), "allocations", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_allocations_payment_id"), "allocations", ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_allocations_payment_id"), table_name="allocations")
    op.drop_index(op.f("ix_allocations_invoice_id"), table_name="allocations")
    op.drop_table("allocations")
    op.drop_index(
        "ix_invoices_next_action",
        table_name="invoices",
        postgresql_where=sa.text("status IN ('issued', 'partially_paid', 'overdue')"),
        sqlite_where=sa.text("status IN ('issued', 'partially_paid', 'overdue')"),
    )
    op.drop_index("ix_invoices_contract", table_name="invoices")
    op.drop_index("ix_invoices_client_status", table_name="invoices")
    op.drop_table("invoices")
    op.drop_index(op.f("ix_estimates_client_id"), table_name="estimates")
    op.drop_table("estimates")
    op.drop_index(op.f("ix_payments_client_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index("ix_opportunities_stage", table_name="opportunities")
    op.drop_index(op.f("ix_opportunities_client_id"), table_name="opportunities")
    op.drop_table("opportunities")
    op.drop_table("invoice_counters")
    op.drop_index("ix_credit_entries_client_currency", table_name="credit_entries")
    op.drop_table("credit_entries")
    op.drop_index(
        "ix_contracts_next_check",
        table_name="contracts",
        postgresql_where=sa.text("status = 'active'"),
        sqlite_where=sa.text("status = 'active'"),
    )
    op.drop_index(op.f("ix_contracts_client_id"), table_name="contracts")
    op.drop_table("contracts")
