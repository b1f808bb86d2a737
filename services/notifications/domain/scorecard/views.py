"""What the KPI projection (``handlers.scorecard.projection``) reads of the events it
consumes: one view per event shape (``shared.event_views``). The views of a client event, an
invoice event and an interaction are shared with search, those of an invoice, a payment, a
request, a feedback, a stage change and a retracted interaction with the timeline; the
projection's own subclass each, requiring what a KPI cannot do without (an invoice's total,
a client's status, a payment's amount and time) and adding the account manager the facts are
counted under."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from shared.event_views import (
    ClientData,
    EventView,
    FeedbackData,
    InteractionRef,
    InvoiceBalance,
    LoggedInteraction,
    PaidInvoice,
    PaymentData,
    RequestData,
    StageChangeData,
)
from shared.event_views import FeedbackRef as FeedbackRef  # ``feedback.withdrawn``, as shared


class ManagedData(EventView):
    """The header of a client event the projection reads: whose client, under which manager
    (none: the fact is counted under no one)."""

    client_id: uuid.UUID
    account_manager_id: uuid.UUID | None = None


# ---------------------------------------------------------------- clients


class ClientState(ClientData, ManagedData):
    """A client event: its state, and ``old_status`` (read only of ``status_changed``).
    ``created_at`` missing: the client is taken as created at the event's time."""

    status: str
    old_status: str | None = None
    created_at: datetime | None = None


# ---------------------------------------------------------------- billing


class InvoiceState(InvoiceBalance, ManagedData):
    """An invoice event: the invoice's state after it (its total required here)."""

    total: Decimal


class InvoiceCredited(InvoiceState):
    """``invoice.credited``: the invoice after the credit note, and the note."""

    credit_note_id: uuid.UUID
    credit_total: Decimal


class Allocation(PaidInvoice):
    """What a payment settled of one invoice."""

    invoice_id: uuid.UUID
    amount: Decimal


class PaymentReceived(PaymentData, ManagedData):
    """``payment.received``; ``allocations`` missing: it settled nothing (all credit)."""

    currency: str
    amount: Decimal
    received_at: datetime
    allocations: Sequence[Allocation] = []


class ReopenedInvoice(PaidInvoice):
    """An invoice a reversed payment had paid, open again: what it owes now, its status."""

    invoice_id: uuid.UUID
    balance: Decimal
    status: str


class PaymentReversed(PaymentData):
    """``payment.reversed``; ``reopened`` missing: no invoice is open again."""

    reopened: Sequence[ReopenedInvoice] = []


class Money(EventView):
    """An opportunity's value; an amount missing (or empty) is no amount."""

    amount: Decimal | None = None
    currency: str | None = None


class OpportunityStage(StageChangeData, ManagedData):
    """``opportunity.stage_changed``; ``value`` missing or null: no amount (read as money
    here, shown as it came by the timeline: each reader types it)."""

    value: Money | None = None

    @property
    def amount(self) -> Decimal | None:
        return self.value.amount if self.value else None

    @property
    def currency(self) -> str | None:
        return self.value.currency if self.value else None


# ---------------------------------------------------------------- interactions


class Feedback(FeedbackData, ManagedData):
    """``feedback.received``."""


class RequestState(RequestData, ManagedData):
    """A request event (opened, answered, at risk, breached, promise broken, closed).
    ``response_minutes`` counts only on the ``first_response``; ``breached`` and
    ``first_response`` missing: false (``breached`` null is no breach flag: it fails)."""

    response_minutes: int | None = None
    first_response: bool = False
    breached: bool = False

    @property
    def first_response_minutes(self) -> int | None:
        return self.response_minutes if self.first_response else None


class RequestClosed(RequestState):
    """``request.closed``: not a real request, under its close ``code``."""

    code: str


class Meeting(LoggedInteraction, ManagedData):
    """A meeting as an interaction event carries it: ``interaction.logged`` (a meeting unless
    ``missed``), ``meeting.report_submitted`` (``on_time``), ``meeting.report_overdue``;
    ``missed`` and ``on_time`` missing: false."""

    missed: bool = False
    on_time: bool = False

    @property
    def held(self) -> bool:
        """A logged interaction that is a meeting that took place."""
        return self.type == "meeting" and not self.missed


# ``interaction.retracted``: the interaction, and the request it opened, if any (shared).
InteractionRetracted = InteractionRef


class CadenceLapse(ManagedData):
    """``client.contact_overdue``: nobody reached the client by ``due_at``."""

    due_at: datetime
