"""The KPI projection: reactions to the clients, interactions and billing events
(:data:`SCORECARD_SUBSCRIBERS`, event type -> reaction; ``subscribers.py`` runs them after the
service's own). Staff come from the service's staff replica.

Each reaction records one fact (the latest state of a request, an invoice, a meeting...; a
history row for client states and opportunity stages) keyed by the fact's own id, and is
guarded by ``sc_applied`` (the projection's inbox): applying an event twice, in the
service's consumer or in a rebuild, changes nothing. Facts are merged so the order of
events of different clients does not matter (a stored invoice newer than the event wins;
a request's answer and breach stick). They read ``event.data``: no other service is imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

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


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


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
    data = event.data
    status_change = "status_changed" in event.type
    await insert_ignore(
        uow.session,
        sc_client_states,
        {
            "event_id": event.id,
            "client_id": uuid.UUID(str(data["client_id"])),
            "name": data["name"],
            "at": event.time,
            "created_at": _time(data.get("created_at")) or event.time,
            "status": data["status"],
            "old_status": data.get("old_status") if status_change else None,
            "account_manager_id": _uuid(data.get("account_manager_id")),
        },
    )


# ---------------------------------------------------------------- billing


async def on_invoice(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    invoice_id = uuid.UUID(str(data["invoice_id"]))
    await merge(
        uow.session,
        sc_invoices,
        "invoice_id",
        {
            "invoice_id": invoice_id,
            "client_id": uuid.UUID(str(data["client_id"])),
            "client_name": data.get("client_name"),
            "account_manager_id": _uuid(data.get("account_manager_id")),
            "currency": data["currency"],
            "total": Decimal(str(data["total"])),
            "balance": Decimal(str(data["balance"])),
            "issue_date": _date(data.get("issue_date")),
            "due_date": _date(data.get("due_date")),
            "status": data["status"],
            "source_time": event.time,
        },
        newer_only=True,
    )


async def on_payment(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    payment_id = uuid.UUID(str(data["payment_id"]))
    received_at = _time(data["received_at"])
    await insert_ignore(
        uow.session,
        sc_payments,
        {
            "payment_id": payment_id,
            "client_id": uuid.UUID(str(data["client_id"])),
            "account_manager_id": _uuid(data.get("account_manager_id")),
            "currency": data["currency"],
            "amount": Decimal(str(data["amount"])),
            "received_at": received_at,
        },
    )
    for allocation in data.get("allocations") or []:
        await insert_ignore(
            uow.session,
            sc_allocations,
            {
                "payment_id": payment_id,
                "invoice_id": uuid.UUID(str(allocation["invoice_id"])),
                "amount": Decimal(str(allocation["amount"])),
                "received_at": received_at,
            },
        )


async def on_opportunity(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    value = data.get("value") or {}
    await insert_ignore(
        uow.session,
        sc_opportunity_states,
        {
            "event_id": event.id,
            "opportunity_id": uuid.UUID(str(data["opportunity_id"])),
            "client_id": uuid.UUID(str(data["client_id"])),
            "account_manager_id": _uuid(data.get("account_manager_id")),
            "at": event.time,
            "stage": data["new_stage"],
            "amount": Decimal(str(value["amount"])) if value.get("amount") else None,
            "currency": value.get("currency"),
        },
    )


# ---------------------------------------------------------------- interactions


async def on_feedback(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    await insert_ignore(
        uow.session,
        sc_feedback,
        {
            "feedback_id": uuid.UUID(str(data["feedback_id"])),
            "client_id": uuid.UUID(str(data["client_id"])),
            "account_manager_id": _uuid(data.get("account_manager_id")),
            "kind": data["kind"],
            "score": int(data["score"]),
            "received_at": _time(data["received_at"]),
        },
    )


async def on_request(uow: UnitOfWork, event: CloudEvent) -> None:
    """A request's events merge into one row: the first answer and a breach stick."""
    data = event.data
    request_id = uuid.UUID(str(data["request_id"]))
    answered_at = _time(data.get("answered_at"))
    minutes = data.get("response_minutes") if data.get("first_response") else None
    values = {
        "request_id": request_id,
        "client_id": uuid.UUID(str(data["client_id"])),
        "account_manager_id": _uuid(data.get("account_manager_id")),
        "opened_at": _time(data["opened_at"]),
        "due_at": _time(data["due_at"]),
        "answered_at": answered_at,
        "response_minutes": minutes,
        "breached": bool(data.get("breached")),
    }
    await merge(
        uow.session,
        sc_requests,
        "request_id",
        values,
        keep={"answered_at": _first, "response_minutes": _first, "breached": _either},
    )


async def _meeting(
    uow: UnitOfWork, data: Mapping[str, Any], occurred_at: Any, **change: Any
) -> None:
    interaction_id = uuid.UUID(str(data["interaction_id"]))
    values = {
        "interaction_id": interaction_id,
        "client_id": uuid.UUID(str(data["client_id"])),
        "account_manager_id": _uuid(data.get("account_manager_id")),
        "occurred_at": _time(occurred_at),
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
    data = event.data
    if data.get("type") == "meeting" and not data.get("missed"):
        await _meeting(uow, data, data["occurred_at"])


async def on_meeting_report(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    await _meeting(uow, data, data["occurred_at"], report_on_time=bool(data.get("on_time")))


async def on_meeting_overdue(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    await _meeting(uow, data, data["occurred_at"], report_overdue=True)


async def on_contact_overdue(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    await insert_ignore(
        uow.session,
        sc_cadence_lapses,
        {
            "client_id": uuid.UUID(str(data["client_id"])),
            "due_at": _time(data["due_at"]),
            "account_manager_id": _uuid(data.get("account_manager_id")),
        },
    )


# ---------------------------------------------------------------- corrections


async def _forget(session: AsyncSession, table: Table, column: str, value: Any) -> None:
    await session.execute(delete(table).where(table.c[column] == uuid.UUID(str(value))))


async def on_invoice_credited(uow: UnitOfWork, event: CloudEvent) -> None:
    """A credit note: the invoice's new state, and the credit note itself (the revenue
    invoiced of the period it is issued in goes down by its total)."""
    await on_invoice(uow, event)
    data = event.data
    await insert_ignore(
        uow.session,
        sc_credit_notes,
        {
            "credit_note_id": uuid.UUID(str(data["credit_note_id"])),
            "invoice_id": uuid.UUID(str(data["invoice_id"])),
            "account_manager_id": _uuid(data.get("account_manager_id")),
            "currency": data["currency"],
            "total": Decimal(str(data["credit_total"])),
            "issued_at": event.time,
        },
    )


async def on_payment_reversed(uow: UnitOfWork, event: CloudEvent) -> None:
    """A reversed payment was never collected: it and what it settled leave the projection;
    the invoices it paid are open again (their balance and status as the event says)."""
    data = event.data
    await _forget(uow.session, sc_payments, "payment_id", data["payment_id"])
    await _forget(uow.session, sc_allocations, "payment_id", data["payment_id"])
    inv = sc_invoices.c
    for reopened in data.get("reopened") or []:
        await uow.session.execute(
            update(sc_invoices)
            .where(
                inv.invoice_id == uuid.UUID(str(reopened["invoice_id"])),
                inv.source_time <= event.time,
            )
            .values(
                balance=Decimal(str(reopened["balance"])),
                status=reopened["status"],
                source_time=event.time,
            )
        )


async def on_feedback_withdrawn(uow: UnitOfWork, event: CloudEvent) -> None:
    """Withdrawn feedback (entered for the wrong client) leaves NPS and CSAT."""
    await _forget(uow.session, sc_feedback, "feedback_id", event.data["feedback_id"])


async def on_request_closed(uow: UnitOfWork, event: CloudEvent) -> None:
    """A request closed as not a real one (spam, a duplicate) leaves the SLA figures and is
    counted apart under its close code."""
    data = event.data
    await _forget(uow.session, sc_requests, "request_id", data["request_id"])
    await insert_ignore(
        uow.session,
        sc_closed_requests,
        {
            "request_id": uuid.UUID(str(data["request_id"])),
            "client_id": uuid.UUID(str(data["client_id"])),
            "account_manager_id": _uuid(data.get("account_manager_id")),
            "opened_at": _time(data["opened_at"]),
            "code": str(data["code"]),
        },
    )


async def on_interaction_retracted(uow: UnitOfWork, event: CloudEvent) -> None:
    """A retracted interaction counts no more: not as a meeting, nor its request."""
    data = event.data
    await _forget(uow.session, sc_meetings, "interaction_id", data["interaction_id"])
    if data.get("request_id"):
        await _forget(uow.session, sc_requests, "request_id", data["request_id"])


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
