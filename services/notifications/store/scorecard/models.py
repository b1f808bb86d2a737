"""Tables of the scorecard: the KPI projection (one row per fact, the latest state of each
request, invoice, payment, meeting...; history rows where the scorecard needs "as of") and
the projection's own inbox. Staff are the service's staff replica (``shared.replicas``), the
scheduled reports are ``deliveries`` rows and the choice of reports is in ``preferences``.

Every projection table starts with ``sc_`` and is emptied by ``orbit reports rebuild``
(:data:`PROJECTION_TABLES`).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
)

from shared.db import Money, UTCDateTime

scorecard_metadata = MetaData()

# The events applied to the projection (its own inbox: the service's inbox guards normal
# consumption; this one also guards a rebuild, which reads the topics again).
sc_applied = Table(
    "sc_applied",
    scorecard_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

# Every state a client was in (one row per clients event): status and manager as of a time.
sc_client_states = Table(
    "sc_client_states",
    scorecard_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("client_id", Uuid, nullable=False),
    Column("name", String(300), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Column("old_status", String(20), nullable=True),  # set on a status change
    Column("account_manager_id", Uuid, nullable=True),
    Index("ix_sc_client_states_client", "client_id", "at"),
)

sc_invoices = Table(
    "sc_invoices",
    scorecard_metadata,
    Column("invoice_id", Uuid, primary_key=True),
    Column("client_id", Uuid, nullable=False),
    Column("client_name", String(300), nullable=True),
    Column("account_manager_id", Uuid, nullable=True),
    Column("currency", String(3), nullable=False),
    Column("total", Money, nullable=False),
    Column("balance", Money, nullable=False),
    Column("issue_date", Date, nullable=True),
    Column("due_date", Date, nullable=True),
    Column("status", String(20), nullable=False),
    Column("source_time", UTCDateTime, nullable=False),
    Index("ix_sc_invoices_manager_issue", "account_manager_id", "issue_date"),
)

sc_payments = Table(
    "sc_payments",
    scorecard_metadata,
    Column("payment_id", Uuid, primary_key=True),
    Column("client_id", Uuid, nullable=False),
    Column("account_manager_id", Uuid, nullable=True),
    Column("currency", String(3), nullable=False),
    Column("amount", Money, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_sc_payments_manager_received", "account_manager_id", "received_at"),
)

# A credit note against an invoice: takes the revenue invoiced down when it is issued.
sc_credit_notes = Table(
    "sc_credit_notes",
    scorecard_metadata,
    Column("credit_note_id", Uuid, primary_key=True),
    Column("invoice_id", Uuid, nullable=False),
    Column("account_manager_id", Uuid, nullable=True),
    Column("currency", String(3), nullable=False),
    Column("total", Money, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Index("ix_sc_credit_notes_manager_issued", "account_manager_id", "issued_at"),
)

# What each payment settled of each invoice (an invoice's balance as of a past date).
sc_allocations = Table(
    "sc_allocations",
    scorecard_metadata,
    Column("payment_id", Uuid, primary_key=True),
    Column("invoice_id", Uuid, primary_key=True),
    Column("amount", Money, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

# Every stage an opportunity went through (pipeline by stage as of a time).
sc_opportunity_states = Table(
    "sc_opportunity_states",
    scorecard_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("opportunity_id", Uuid, nullable=False),
    Column("client_id", Uuid, nullable=False),
    Column("account_manager_id", Uuid, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("amount", Money, nullable=True),
    Column("currency", String(3), nullable=True),
    Index("ix_sc_opportunity_states_opportunity", "opportunity_id", "at"),
)

sc_feedback = Table(
    "sc_feedback",
    scorecard_metadata,
    Column("feedback_id", Uuid, primary_key=True),
    Column("client_id", Uuid, nullable=False),
    Column("account_manager_id", Uuid, nullable=True),
    Column("kind", String(10), nullable=False),
    Column("score", Integer, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_sc_feedback_manager_received", "account_manager_id", "received_at"),
)

# A request's first-response SLA: merged from its events (answered and breached stick).
sc_requests = Table(
    "sc_requests",
    scorecard_metadata,
    Column("request_id", Uuid, primary_key=True),
    Column("client_id", Uuid, nullable=False),
    Column("account_manager_id", Uuid, nullable=True),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime, nullable=True),
    Column("response_minutes", Integer, nullable=True),
    Column("breached", Boolean, nullable=False),
    Index("ix_sc_requests_manager_opened", "account_manager_id", "opened_at"),
)

# A request closed as not a real one (spam, a duplicate...): out of the SLA figures (its
# ``sc_requests`` row deleted, and left out should an event of it come later), counted apart
# per close code, as interactions' ``/reports/sla`` does.
sc_closed_requests = Table(
    "sc_closed_requests",
    scorecard_metadata,
    Column("request_id", Uuid, primary_key=True),
    Column("client_id", Uuid, nullable=False),
    Column("account_manager_id", Uuid, nullable=True),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("code", String(30), nullable=False),
    Index("ix_sc_closed_requests_manager_opened", "account_manager_id", "opened_at"),
)

sc_meetings = Table(
    "sc_meetings",
    scorecard_metadata,
    Column("interaction_id", Uuid, primary_key=True),
    Column("client_id", Uuid, nullable=False),
    Column("account_manager_id", Uuid, nullable=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("report_on_time", Boolean, nullable=True),  # null: no report yet
    Column("report_overdue", Boolean, nullable=False),
    Index("ix_sc_meetings_manager_occurred", "account_manager_id", "occurred_at"),
)

# A contact-cadence lapse (client.contact_overdue: once per lapse, keyed by its due time).
sc_cadence_lapses = Table(
    "sc_cadence_lapses",
    scorecard_metadata,
    Column("client_id", Uuid, primary_key=True),
    Column("due_at", UTCDateTime, primary_key=True),
    Column("account_manager_id", Uuid, nullable=True),
)

PROJECTION_TABLES = (
    sc_applied,
    sc_client_states,
    sc_invoices,
    sc_payments,
    sc_allocations,
    sc_credit_notes,
    sc_opportunity_states,
    sc_feedback,
    sc_requests,
    sc_closed_requests,
    sc_meetings,
    sc_cadence_lapses,
)
