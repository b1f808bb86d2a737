"""What the KPI projection (``handlers.scorecard.projection``) reads of the events it
consumes: one view per event shape (``shared.event_views``). The views of a client event, an
invoice event and an interaction are shared with search; the projection's own subclass each,
requiring what a KPI cannot do without (an invoice's currency, total and balance, a client's
status) and adding the account manager the facts are counted under."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from shared.event_views import ClientData, EventView, InteractionData, InvoiceData


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


class InvoiceState(InvoiceData, ManagedData):
    """An invoice event: the invoice's state after it."""

    currency: str
    total: Decimal
    balance: Decimal
    status: str
    issue_date: date | None = None
    due_date: date | None = None


class InvoiceCredited(InvoiceState):
    """``invoice.credited``: the invoice after the credit note, and the note."""

    credit_note_id: uuid.UUID
    credit_total: Decimal


class Allocation(EventView):
    """What a payment settled of one invoice."""

    invoice_id: uuid.UUID
    amount: Decimal


class PaymentReceived(ManagedData):
    """``payment.received``; ``allocations`` missing: it settled nothing (all credit)."""

    payment_id: uuid.UUID
    currency: str
    amount: Decimal
    received_at: datetime
    allocations: list[Allocation] = []


class ReopenedInvoice(EventView):
    """An invoice a reversed payment had paid, open again: what it owes now, its status."""

    invoice_id: uuid.UUID
    balance: Decimal
    status: str


class PaymentReversed(EventView):
    """``payment.reversed``; ``reopened`` missing: no invoice is open again."""

    payment_id: uuid.UUID
    reopened: list[ReopenedInvoice] = []


class Money(EventView):
    """An opportunity's value; an amount missing (or empty) is no amount."""

    amount: Decimal | None = None
    currency: str | None = None


class OpportunityStage(ManagedData):
    """``opportunity.stage_changed``; ``value`` missing or null: no amount."""

    opportunity_id: uuid.UUID
    new_stage: str
    value: Money | None = None

    @property
    def amount(self) -> Decimal | None:
        return self.value.amount if self.value else None

    @property
    def currency(self) -> str | None:
        return self.value.currency if self.value else None


# ---------------------------------------------------------------- interactions


class FeedbackRef(EventView):
    """``feedback.withdrawn``: which feedback no longer counts."""

    feedback_id: uuid.UUID


class Feedback(FeedbackRef, ManagedData):
    """``feedback.received``."""

    kind: str
    score: int
    received_at: datetime


class RequestState(ManagedData):
    """A request event (opened, answered, at risk, breached, promise broken, closed).
    ``response_minutes`` counts only on the ``first_response``; ``breached`` and
    ``first_response`` missing: false."""

    request_id: uuid.UUID
    opened_at: datetime
    due_at: datetime
    answered_at: datetime | None = None
    response_minutes: int | None = None
    first_response: bool = False
    breached: bool = False

    @property
    def first_response_minutes(self) -> int | None:
        return self.response_minutes if self.first_response else None


class RequestClosed(RequestState):
    """``request.closed``: not a real request, under its close ``code``."""

    code: str


class Meeting(InteractionData, ManagedData):
    """A meeting as an interaction event carries it: ``interaction.logged`` (a meeting unless
    ``missed``), ``meeting.report_submitted`` (``on_time``), ``meeting.report_overdue``;
    ``missed`` and ``on_time`` missing: false."""

    missed: bool = False
    on_time: bool = False

    @property
    def held(self) -> bool:
        """A logged interaction that is a meeting that took place."""
        return self.type == "meeting" and not self.missed


class InteractionRetracted(EventView):
    """``interaction.retracted``: the interaction, and the request it opened, if any."""

    interaction_id: uuid.UUID
    request_id: uuid.UUID | None = None


class CadenceLapse(ManagedData):
    """``client.contact_overdue``: nobody reached the client by ``due_at``."""

    due_at: datetime
