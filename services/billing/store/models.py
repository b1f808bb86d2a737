"""Tables of the billing service (its own database), besides the platform tables and the
replicas of the clients service's staff and clients (``shared.replicas``).

Money columns are ``shared.db.Money`` (NUMERIC on PostgreSQL, text on SQLite), each beside
its ISO 4217 currency. The scans find their due rows through partial indexes on the open
rows (``ix_invoices_next_action``, ``ix_contracts_next_check``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

from shared.db import JSONType, Money, UTCDateTime
from shared.pagination import SortKey, Sorts, sort_indexes
from shared.replicas import client_replica


class Base(DeclarativeBase):
    metadata = MetaData()


def _client_timezone(client_id: Any) -> Any:
    """The client's timezone from the replica (its "today" decides overdue and days late)."""
    return column_property(
        select(client_replica.c.timezone).where(client_replica.c.id == client_id).scalar_subquery(),
        expire_on_flush=False,  # it does not change with the row: no lazy reload (async)
    )


# The predicates of the scans' partial indexes (the scans filter with the same text).
OPEN_INVOICE = "status IN ('issued', 'partially_paid', 'overdue')"
ACTIVE_CONTRACT = "status = 'active'"
UNNOTICED_DRAFT_ESTIMATE = "status = 'draft' AND expiry_noticed_on IS NULL"


class Contract(Base):
    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("client_id", "number", name="uq_contracts_client_number"),
        # An imported contract's key in the system it came from (NULL: made in Orbit).
        Index("uq_contracts_external_id", "external_id", unique=True),
        # The contract scan: active contracts by the next day something is due for them.
        Index(
            "ix_contracts_next_check",
            "next_check_on",
            postgresql_where=text(ACTIVE_CONTRACT),
            sqlite_where=text(ACTIVE_CONTRACT),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    number: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    auto_renew: Mapped[bool] = mapped_column(Boolean)
    renewal_notice_days: Mapped[int] = mapped_column(Integer)
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    value_amount: Mapped[Decimal | None] = mapped_column(Money)
    value_currency: Mapped[str | None] = mapped_column(String(3))
    budget_amount: Mapped[Decimal | None] = mapped_column(Money)
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    # The scan's state: the end date the expiry notice was sent for, the next day to look.
    notice_sent_for: Mapped[date | None] = mapped_column(Date)
    next_check_on: Mapped[date | None] = mapped_column(Date)
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    client_timezone: Mapped[str | None] = _client_timezone(client_id)


class InvoiceCounter(Base):
    """The last number given per year: locked by the issuing transaction (gap-free)."""

    __tablename__ = "invoice_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class CreditNoteCounter(Base):
    """The last credit note number given per year: locked like :class:`InvoiceCounter`."""

    __tablename__ = "credit_note_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


# The columns of an invoice the ageing and payment-discipline reports read (``store/reports.py``)
# besides its client and status, carried by the index on those (``ix_invoices_client_status``).
INVOICE_REPORT_COLUMNS = ("currency", "due_date", "issue_date", "paid_on", "total", "amount_paid")


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("number", name="uq_invoices_number"),
        # An imported invoice's key in the system it came from (NULL: made in Orbit).
        Index("uq_invoices_external_id", "external_id", unique=True),
        # The payment-control scan: open invoices by the next day something is due for them.
        Index(
            "ix_invoices_next_action",
            "next_action_on",
            postgresql_where=text(OPEN_INVOICE),
            sqlite_where=text(OPEN_INVOICE),
        ),
        # a client's invoices, carrying what the ageing and payment-discipline reports add
        # up (PostgreSQL): a head's reads its ~30,000 invoices from the index alone
        Index(
            "ix_invoices_client_status",
            "client_id",
            "status",
            postgresql_include=list(INVOICE_REPORT_COLUMNS),
        ),
        Index("ix_invoices_contract", "contract_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The client's account manager, a copy of the replica's kept current by every change of
    # it (``shared.replica_store.keep_manager_copies``): a manager's list reads their rows in
    # its sort's order from one index (``ix_<table>_manager_<field>``), not the whole sort.
    account_manager_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("contracts.id"))
    estimate_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    number: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    # [{description, quantity, unit_price, tax_rate, net, tax}] with decimal strings
    lines: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    amount_paid: Mapped[Decimal] = mapped_column(Money)
    # What credit notes took off the invoice (their total; part of amount_paid where they
    # settled its balance).
    credited: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), server_default="0")
    status: Mapped[str] = mapped_column(String(20))
    issue_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    paid_on: Mapped[date | None] = mapped_column(Date)  # the day it was paid in full
    notes: Mapped[str | None] = mapped_column(Text)
    # Payment control: the last dunning step sent, overdue sent, the promise to pay.
    dunning_step: Mapped[int | None] = mapped_column(Integer)
    overdue_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    promised_on: Mapped[date | None] = mapped_column(Date)
    promise_note: Mapped[str | None] = mapped_column(Text)
    promise_state: Mapped[str | None] = mapped_column(String(10))
    next_action_on: Mapped[date | None] = mapped_column(Date)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # An imported open invoice: its key there, and the number it had there (Orbit's own
    # ``number`` is given when it is issued here, gap-free like any other).
    external_id: Mapped[str | None] = mapped_column(String(200))
    external_number: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    client_timezone: Mapped[str | None] = _client_timezone(client_id)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        # (client, reference) once: a repeated bank import returns the first payment.
        UniqueConstraint("client_id", "reference", name="uq_payments_client_reference"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(200))
    credit: Mapped[Decimal] = mapped_column(Money)  # the surplus that became client credit
    booked_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A bounced or mis-booked payment: reversed (its allocations re-opened), when, by whom, why.
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reversal_reason: Mapped[str | None] = mapped_column(Text)


class Allocation(Base):
    """Money applied to an invoice: from a payment, or from the client's credit; a payment's
    reversal adds the negative of each of its allocations (``source`` ``reversal``, at the
    time of the reversal: the ageing as of an earlier day still sees them paid)."""

    __tablename__ = "allocations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"), index=True)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("payments.id"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(10))  # payment|credit|reversal|creditnote
    position: Mapped[int] = mapped_column(Integer, default=0)  # order within the payment
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CreditNote(Base):
    """A credit against an issued invoice, numbered in its own gap-free yearly series: what
    settles the invoice's balance is an allocation (``source`` ``creditnote``), the rest
    (the invoice was paid already) becomes the client's credit."""

    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("number", name="uq_credit_notes_number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    number: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    applied: Mapped[Decimal] = mapped_column(Money)  # to the invoice's balance
    to_credit: Mapped[Decimal] = mapped_column(Money)  # to the client's credit
    reason: Mapped[str] = mapped_column(Text)
    issue_date: Mapped[date] = mapped_column(Date)
    issued_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CreditEntry(Base):
    """The client's credit ledger per currency: + a payment's surplus, - credit applied."""

    __tablename__ = "credit_entries"
    __table_args__ = (Index("ix_credit_entries_client_currency", "client_id", "currency"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Estimate(Base):
    __tablename__ = "estimates"
    __table_args__ = (
        # The expiry scan: drafts not yet noticed expired, by their last valid day.
        Index(
            "ix_estimates_expiry",
            "valid_until",
            postgresql_where=text(UNNOTICED_DRAFT_ESTIMATE),
            sqlite_where=text(UNNOTICED_DRAFT_ESTIMATE),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    contract_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("contracts.id"))
    title: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20))  # draft | approved | invoiced | rejected
    valid_until: Mapped[date | None] = mapped_column(Date)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    approved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    # The day the scan found the draft past its valid_until (estimate.expired sent); a new
    # valid_until clears it.
    expiry_noticed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    client_timezone: Mapped[str | None] = _client_timezone(client_id)


class Opportunity(Base):
    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_stage", "stage"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20))
    value_amount: Mapped[Decimal | None] = mapped_column(Money)
    value_currency: Mapped[str | None] = mapped_column(String(3))
    expected_close: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


# ---------------------------------------------------------------- the lists' sorts
# The fields each list sorts by (``?sort=``, ``shared.pagination.Sorts``), each with an
# index on (its key, id) so a sorted page reads the index (the migration
# ``2026_12_06_f3b9d1e7c5a8_list_sorts`` creates the same expressions).

LAST_DAY = "'9999-12-31'"  # what a missing date sorts as: after every date

INVOICE_SORTS = Sorts(
    Invoice.id,
    "created_at",
    manager=Invoice.account_manager_id,
    created_at=SortKey(Invoice.created_at),
    number=SortKey(Invoice.number, null="''"),
    issue_date=SortKey(Invoice.issue_date, null=LAST_DAY),
    due_date=SortKey(Invoice.due_date, null=LAST_DAY),
    total=SortKey(Invoice.total, "money"),
    status=SortKey(Invoice.status),
)
CONTRACT_SORTS = Sorts(
    Contract.id,
    "created_at",
    created_at=SortKey(Contract.created_at),
    number=SortKey(Contract.number, "text"),
    title=SortKey(Contract.title, "text"),
    starts_on=SortKey(Contract.starts_on),
    ends_on=SortKey(Contract.ends_on),
    status=SortKey(Contract.status),
)
PAYMENT_SORTS = Sorts(
    Payment.id,
    "created_at",
    created_at=SortKey(Payment.created_at),
    received_at=SortKey(Payment.received_at),
    amount=SortKey(Payment.amount, "money"),
)
ESTIMATE_SORTS = Sorts(
    Estimate.id,
    "created_at",
    created_at=SortKey(Estimate.created_at),
    title=SortKey(Estimate.title, "text"),
    valid_until=SortKey(Estimate.valid_until, null=LAST_DAY),
    total=SortKey(Estimate.total, "money"),
    status=SortKey(Estimate.status),
)
OPPORTUNITY_SORTS = Sorts(
    Opportunity.id,
    "created_at",
    created_at=SortKey(Opportunity.created_at),
    title=SortKey(Opportunity.title, "text"),
    expected_close=SortKey(Opportunity.expected_close, null=LAST_DAY),
    value=SortKey(Opportunity.value_amount, "money", null="-1"),
    stage=SortKey(Opportunity.stage),
)

sort_indexes(INVOICE_SORTS, CONTRACT_SORTS, PAYMENT_SORTS, ESTIMATE_SORTS, OPPORTUNITY_SORTS)


class ClientBillingDetails(Base):
    """A client's legal and bank details, as its invoices and certificates of completed work
    print them (billing's own: the clients service knows the client, not its bank)."""

    __tablename__ = "client_billing_details"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    legal_name: Mapped[str | None] = mapped_column(String(300))
    tax_id: Mapped[str | None] = mapped_column(String(50))  # INN or VAT number
    registration_code: Mapped[str | None] = mapped_column(String(50))  # KPP
    address: Mapped[str | None] = mapped_column(Text)
    bank_name: Mapped[str | None] = mapped_column(String(300))
    bank_account: Mapped[str | None] = mapped_column(String(50))  # account or IBAN
    bank_code: Mapped[str | None] = mapped_column(String(50))  # BIC or SWIFT
    correspondent_account: Mapped[str | None] = mapped_column(String(50))
    language: Mapped[str | None] = mapped_column(String(2))  # ru | en: its documents' language
    updated_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
