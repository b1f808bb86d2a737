"""The KPI projection: reactions to the clients, interactions and billing events
(:data:`SCORECARD_SUBSCRIBERS`, event type -> reaction; ``subscribers.py`` runs them after the
service's own). Staff come from the service's staff replica.

Each reaction records one fact (the latest state of a request, an invoice, a meeting...; a
history row for client states and opportunity stages) keyed by the fact's own id, and is
guarded by ``sc_applied`` (the projection's inbox): applying an event twice, in the
service's consumer or in a rebuild, changes nothing. Facts are merged so the order of
events of different clients does not matter (a stored invoice newer than the event wins;
a request's answer and breach stick). Each reads its event through a view of the fields it
needs (``domain.scorecard.views``): no other service is imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.scorecard.views import (
    CadenceLapse,
    ClientState,
    Feedback,
    FeedbackRef,
    InteractionRetracted,
    InvoiceCredited,
    InvoiceState,
    Meeting,
    OpportunityStage,
    PaymentReceived,
    PaymentReversed,
    RequestClosed,
    RequestState,
)
from services.notifications.store.scorecard.models import (
    sc_allocations,
    sc_applied,
    sc_cadence_lapses,
    sc_client_states,
    sc_closed_requests,
    sc_credit_notes,
    sc_feedback,
    sc_invoices,
    sc_meetings,
    sc_opportunity_states,
    sc_payments,
    sc_requests,
)
from shared.db import insert_ignore
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork


async def merge(
    session: AsyncSession,
    table: Table,
    key: str,
    values: Mapping[str, Any],
    *,
    newer_only: bool = False,
    keep: Mapping[str, Callable[[Any, Any], Any]] | None = None,
) -> None:
    """One statement: insert ``values``, or update the row with the same ``key``. With
    ``newer_only`` the update happens only when the stored ``source_time`` is not newer;
    ``keep`` computes a column from the stored and the new value (SQL expressions)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values)
    rules = keep or {}
    set_ = {
        k: rules[k](table.c[k], stmt.excluded[k]) if k in rules else stmt.excluded[k]
        for k in values
        if k != key
    }
    where = table.c.source_time <= stmt.excluded.source_time if newer_only else None
    await session.execute(stmt.on_conflict_do_update(index_elements=[key], set_=set_, where=where))


def _first(stored: Any, new: Any) -> Any:
    return func.coalesce(stored, new)


def _either(stored: Any, new: Any) -> Any:
    return or_(stored, new)


# ---------------------------------------------------------------- clients


async def on_client(uow: UnitOfWork, event: CloudEvent) -> None:
    client = ClientState.of(event.data)
    status_change = "status_changed" in event.type
    await insert_ignore(
        uow.session,
        sc_client_states,
        {
            "event_id": event.id,
            "client_id": client.client_id,
            "name": client.name,
            "at": event.time,
            "created_at": client.created_at or event.time,
            "status": client.status,
            "old_status": client.old_status if status_change else None,
            "account_manager_id": client.account_manager_id,
        },
    )


# ---------------------------------------------------------------- billing


async def _invoice(uow: UnitOfWork, invoice: InvoiceState, at: datetime) -> None:
    await merge(
        uow.session,
        sc_invoices,
        "invoice_id",
        {
            "invoice_id": invoice.invoice_id,
            "client_id": invoice.client_id,
            "client_name": invoice.client_name,
            "account_manager_id": invoice.account_manager_id,
            "currency": invoice.currency,
            "total": invoice.total,
            "balance": invoice.balance,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "status": invoice.status,
            "source_time": at,
        },
        newer_only=True,
    )


async def on_invoice(uow: UnitOfWork, event: CloudEvent) -> None:
    await _invoice(uow, InvoiceState.of(event.data), event.time)


async def on_payment(uow: UnitOfWork, event: CloudEvent) -> None:
    payment = PaymentReceived.of(event.data)
    await insert_ignore(
        uow.session,
        sc_payments,
        {
            "payment_id": payment.payment_id,
            "client_id": payment.client_id,
            "account_manager_id": payment.account_manager_id,
            "currency": payment.currency,
            "amount": payment.amount,
            "received_at": payment.received_at,
        },
    )
    for allocation in payment.allocations:
        await insert_ignore(
            uow.session,
            sc_allocations,
            {
                "payment_id": payment.payment_id,
                "invoice_id": allocation.invoice_id,
                "amount": allocation.amount,
                "received_at": payment.received_at,
            },
        )


async def on_opportunity(uow: UnitOfWork, event: CloudEvent) -> None:
    opportunity = OpportunityStage.of(event.data)
    await insert_ignore(
        uow.session,
        sc_opportunity_states,
        {
            "event_id": event.id,
            "opportunity_id": opportunity.opportunity_id,
            "client_id": opportunity.client_id,
            "account_manager_id": opportunity.account_manager_id,
            "at": event.time,
            "stage": opportunity.new_stage,
            "amount": opportunity.amount,
            "currency": opportunity.currency,
        },
    )


# ---------------------------------------------------------------- interactions


async def on_feedback(uow: UnitOfWork, event: CloudEvent) -> None:
    feedback = Feedback.of(event.data)
    await insert_ignore(
        uow.session,
        sc_feedback,
        {
            "feedback_id": feedback.feedback_id,
            "client_id": feedback.client_id,
            "account_manager_id": feedback.account_manager_id,
            "kind": feedback.kind,
            "score": feedback.score,
            "received_at": feedback.received_at,
        },
    )


async def on_request(uow: UnitOfWork, event: CloudEvent) -> None:
    """A request's events merge into one row: the first answer and a breach stick."""
    request = RequestState.of(event.data)
    values = {
        "request_id": request.request_id,
        "client_id": request.client_id,
        "account_manager_id": request.account_manager_id,
        "opened_at": request.opened_at,
        "due_at": request.due_at,
        "answered_at": request.answered_at,
        "response_minutes": request.first_response_minutes,
        "breached": request.breached,
    }
    await merge(
        uow.session,
        sc_requests,
        "request_id",
        values,
        keep={"answered_at": _first, "response_minutes": _first, "breached": _either},
    )


async def _meeting(uow: UnitOfWork, meeting: Meeting, **change: Any) -> None:
    values = {
        "interaction_id": meeting.interaction_id,
        "client_id": meeting.client_id,
        "account_manager_id": meeting.account_manager_id,
        "occurred_at": meeting.occurred_at,
        "report_on_time": change.get("report_on_time"),
        "report_overdue": bool(change.get("report_overdue", False)),
    }
    await merge(
        uow.session,
        sc_meetings,
        "interaction_id",
        values,
        keep={"report_on_time": _first, "report_overdue": _either},
    )


async def on_interaction(uow: UnitOfWork, event: CloudEvent) -> None:
    meeting = Meeting.of(event.data)
    if meeting.held:
        await _meeting(uow, meeting)


async def on_meeting_report(uow: UnitOfWork, event: CloudEvent) -> None:
    meeting = Meeting.of(event.data)
    await _meeting(uow, meeting, report_on_time=meeting.on_time)


async def on_meeting_overdue(uow: UnitOfWork, event: CloudEvent) -> None:
    await _meeting(uow, Meeting.of(event.data), report_overdue=True)


async def on_contact_overdue(uow: UnitOfWork, event: CloudEvent) -> None:
    lapse = CadenceLapse.of(event.data)
    await insert_ignore(
        uow.session,
        sc_cadence_lapses,
        {
            "client_id": lapse.client_id,
            "due_at": lapse.due_at,
            "account_manager_id": lapse.account_manager_id,
        },
    )


# ---------------------------------------------------------------- corrections


async def _forget(session: AsyncSession, table: Table, column: str, value: uuid.UUID) -> None:
    await session.execute(delete(table).where(table.c[column] == value))


async def on_invoice_credited(uow: UnitOfWork, event: CloudEvent) -> None:
    """A credit note: the invoice's new state, and the credit note itself (the revenue
    invoiced of the period it is issued in goes down by its total)."""
    credited = InvoiceCredited.of(event.data)
    await _invoice(uow, credited, event.time)
    await insert_ignore(
        uow.session,
        sc_credit_notes,
        {
            "credit_note_id": credited.credit_note_id,
            "invoice_id": credited.invoice_id,
            "account_manager_id": credited.account_manager_id,
            "currency": credited.currency,
            "total": credited.credit_total,
            "issued_at": event.time,
        },
    )


async def on_payment_reversed(uow: UnitOfWork, event: CloudEvent) -> None:
    """A reversed payment was never collected: it and what it settled leave the projection;
    the invoices it paid are open again (their balance and status as the event says)."""
    reversed_ = PaymentReversed.of(event.data)
    await _forget(uow.session, sc_payments, "payment_id", reversed_.payment_id)
    await _forget(uow.session, sc_allocations, "payment_id", reversed_.payment_id)
    inv = sc_invoices.c
    for reopened in reversed_.reopened:
        await uow.session.execute(
            update(sc_invoices)
            .where(inv.invoice_id == reopened.invoice_id, inv.source_time <= event.time)
            .values(balance=reopened.balance, status=reopened.status, source_time=event.time)
        )


async def on_feedback_withdrawn(uow: UnitOfWork, event: CloudEvent) -> None:
    """Withdrawn feedback (entered for the wrong client) leaves NPS and CSAT."""
    withdrawn = FeedbackRef.of(event.data)
    await _forget(uow.session, sc_feedback, "feedback_id", withdrawn.feedback_id)


async def on_request_closed(uow: UnitOfWork, event: CloudEvent) -> None:
    """A request closed as not a real one (spam, a duplicate) leaves the SLA figures and is
    counted apart under its close code."""
    closed = RequestClosed.of(event.data)
    await _forget(uow.session, sc_requests, "request_id", closed.request_id)
    await insert_ignore(
        uow.session,
        sc_closed_requests,
        {
            "request_id": closed.request_id,
            "client_id": closed.client_id,
            "account_manager_id": closed.account_manager_id,
            "opened_at": closed.opened_at,
            "code": closed.code,
        },
    )


async def on_interaction_retracted(uow: UnitOfWork, event: CloudEvent) -> None:
    """A retracted interaction counts no more: not as a meeting, nor its request."""
    retracted = InteractionRetracted.of(event.data)
    await _forget(uow.session, sc_meetings, "interaction_id", retracted.interaction_id)
    if retracted.request_id:
        await _forget(uow.session, sc_requests, "request_id", retracted.request_id)


# ---------------------------------------------------------------- the mapping


def once(reaction: EventHandler) -> EventHandler:
    """``reaction`` applied at most once per event id (``sc_applied``)."""

    async def applied_once(uow: UnitOfWork, event: CloudEvent) -> None:
        first = await insert_ignore(
            uow.session, sc_applied, {"event_id": event.id, "applied_at": uow.clock.now()}
        )
        if first:
            await reaction(uow, event)

    return applied_once


_REACTIONS: dict[str, EventHandler] = {
    **{
        f"orbit.clients.client.{verb}.v1": on_client
        for verb in ("created", "updated", "assigned", "status_changed")
    },
    **{
        f"orbit.billing.invoice.{verb}.v1": on_invoice
        for verb in (
            "issued",
            "voided",
            "paid",
            "overdue",
            "payment_reminder_due",
            "promise_broken",
        )
    },
    "orbit.billing.invoice.credited.v1": on_invoice_credited,
    "orbit.billing.payment.received.v1": on_payment,
    "orbit.billing.payment.reversed.v1": on_payment_reversed,
    "orbit.interactions.feedback.withdrawn.v1": on_feedback_withdrawn,
    "orbit.interactions.request.closed.v1": on_request_closed,
    "orbit.interactions.interaction.retracted.v1": on_interaction_retracted,
    "orbit.billing.opportunity.stage_changed.v1": on_opportunity,
    "orbit.interactions.feedback.received.v1": on_feedback,
    **{
        f"orbit.interactions.{name}.v1": on_request
        for name in (
            "request.opened",
            "request.answered",
            "request.promise_broken",
            "sla.at_risk",
            "sla.breached",
        )
    },
    "orbit.interactions.interaction.logged.v1": on_interaction,
    "orbit.interactions.meeting.report_submitted.v1": on_meeting_report,
    "orbit.interactions.meeting.report_overdue.v1": on_meeting_overdue,
    "orbit.interactions.client.contact_overdue.v1": on_contact_overdue,
}

SCORECARD_SUBSCRIBERS: dict[str, EventHandler] = {t: once(r) for t, r in _REACTIONS.items()}
