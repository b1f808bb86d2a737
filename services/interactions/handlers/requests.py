"""Requests and their first-response SLA: opened by an inbound interaction, answered (or
acknowledged with a promise) by an outbound reply, held and resumed while waiting on the
client."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from services.interactions.commands import RequestCloseIn
from services.interactions.domain import promises, sla
from services.interactions.events import (
    RequestAnsweredV1,
    RequestClosedV1,
    RequestHeldV1,
    RequestOpenedV1,
    RequestResumedV1,
)
from services.interactions.settings import InteractionsSettings
from services.interactions.snapshots import request_fields, request_status
from services.interactions.store import interactions, requests
from services.interactions.store.models import Interaction, Request
from shared import audit
from shared.auth import Caller
from shared.calendar import business_minutes_between, parse_calendar
from shared.errors import Conflict, Invalid, NotFound
from shared.policy_replica import policy_value_of
from shared.replicas import ClientView, lock_client
from shared.uow import UnitOfWork

# A request's fields in its audit trail (``GET /api/v1/requests/{id}/audit``): as opened,
# then each change (held, resumed, acknowledged with a promise, answered; closed).
OPENED_FIELDS = ("interaction_id", "status", "opened_at", "due_at", "at_risk_at")
REQUEST_FIELDS = (
    "status",
    "hold_reason",
    "due_at",
    "at_risk_at",
    "answered_at",
    "response_interaction_id",
    "acknowledged_at",
    "promised_by",
    "resolved_at",
)


async def at_risk_fraction(
    uow: UnitOfWork, client: ClientView, settings: InteractionsSettings
) -> float:
    """The share of a request's window after which it is at risk: the client's department's
    ``at_risk_fraction`` (``/api/v1/settings``), else the environment's."""
    return float(
        await policy_value_of(
            uow.session,
            client.account_manager_department,
            "at_risk_fraction",
            settings.interactions_sla_at_risk_fraction,
        )
    )


def new_request(
    interaction: Interaction, client: ClientView, at_risk_fraction: float, now: datetime
) -> Request:
    """The request of an inbound interaction: due ``first_response_minutes`` of the client's
    business calendar after it arrived, at risk once ``at_risk_fraction`` of that window has
    passed (kept, with that calendar, whatever the client's SLA or the policy becomes
    later)."""
    calendar = sla.calendar_of(client.sla)
    minutes = sla.first_response_minutes(client.sla)
    opened = interaction.occurred_at
    return Request(
        id=uuid.uuid4(),
        client_id=client.id,
        account_manager_id=client.account_manager_id,
        interaction_id=interaction.id,
        interaction_type=interaction.type,
        subject=interaction.subject,
        contact_ids=list(interaction.contact_ids or []),
        status="open",
        opened_at=opened,
        due_at=sla.due_at(opened, minutes, calendar),
        at_risk_at=sla.at_risk_at(opened, minutes, at_risk_fraction, calendar),
        first_response_minutes=minutes,
        calendar=sla.calendar_json(calendar),
        breached=False,
        at_risk_notified=False,
        promise_broken=False,
        on_hold_minutes=0,
        updated_at=now,
    )


async def announce_opened(uow: UnitOfWork, request: Request, client: ClientView) -> None:
    await uow.emit(
        RequestOpenedV1(
            **request_fields(request, client, uow.clock.now()),
            at_risk_at=request.at_risk_at,
        )
    )


async def answer_request(
    uow: UnitOfWork, caller: Caller, reply: Interaction, client: ClientView
) -> Request | None:
    """Apply an outbound reply (``responds_to``) to the request the replied-to interaction
    opened. The first reply is the first response (``acknowledged`` with a promise, else
    ``answered``); after a promise, a reply without ``promise_by`` resolves it (another with
    ``promise_by`` moves the promise). A request answered already changes no more (None).

    The replied-to interaction outside the caller's scope: 404; of another client, or one
    that opened no request: 422."""
    assert reply.responds_to is not None
    target = await interactions.find_interaction(uow.session, caller, reply.responds_to)
    if target is None:
        raise NotFound(f"interaction {reply.responds_to} not found")
    if target.client_id != client.id:
        raise Invalid.field("responds_to", "that interaction is another client's")
    request = await requests.request_of_interaction(uow.session, target.id, for_update=True)
    if request is None:
        raise Invalid.field("responds_to", "that interaction opened no request")
    at = reply.occurred_at
    if at < request.opened_at:
        raise Invalid.field("occurred_at", "a reply cannot come before the request it answers")
    if request.status == "answered":
        return None
    if reply.promise_by is not None:
        try:
            promises.check_promise(reply.promise_by, at)
        except promises.PromiseError as exc:
            raise Invalid.field("promise_by", str(exc)) from exc
    now = uow.clock.now()
    before = audit.state(request, REQUEST_FIELDS)
    first = request.answered_at is None
    if first:
        calendar = parse_calendar(request.calendar)
        if request.on_hold_since is not None:  # a reply ends the hold
            request.on_hold_minutes += business_minutes_between(
                request.on_hold_since, max(at, request.on_hold_since), calendar
            )
            request.on_hold_since = None
        request.answered_at = at
        request.response_interaction_id = reply.id
        request.response_minutes = max(
            0, business_minutes_between(request.opened_at, at, calendar) - request.on_hold_minutes
        )
        request.breached = request.breached or at > request.due_at
    if reply.promise_by is not None:
        request.status = "acknowledged"
        request.acknowledged_at = request.acknowledged_at or at
        request.promised_by = reply.promise_by
        request.promise_broken = False  # the new promise is watched (and may break) again
    else:
        request.status = "answered"
        request.resolved_at = at
    request.updated_at = now
    await uow.session.flush()
    await audit.changed(uow, caller, "request", request, before, REQUEST_FIELDS)
    await uow.emit(
        RequestAnsweredV1(
            **request_fields(request, client, now),
            response_interaction_id=reply.id,
            responded_by=reply.author_id,
            response_minutes=request.response_minutes,
            first_response=first,
        )
    )
    return request


async def _locked_request(
    uow: UnitOfWork, caller: Caller, request_id: uuid.UUID
) -> tuple[Request, ClientView]:
    """The request and its client for a change: the client locked first (as by every use
    case emitting its events), the request read under that lock."""
    client_id = (await requests.get_request(uow.session, caller, request_id)).client_id
    client = await lock_client(uow.session, caller, client_id)
    request = await requests.get_request(uow.session, caller, request_id, for_update=True)
    return request, client


def _check(check: Callable[[str], None], status: str) -> None:
    try:
        check(status)
    except sla.HoldError as exc:
        raise Conflict(str(exc)) from exc


async def hold_request(
    uow: UnitOfWork, caller: Caller, request_id: uuid.UUID, reason: str
) -> Request:
    """Waiting on the client: the SLA clock stops (``on_hold``) until resumed;
    ``request.held`` says so (its subscribers stop counting too)."""
    request, client = await _locked_request(uow, caller, request_id)
    now = uow.clock.now()
    _check(sla.check_hold, request_status(request, now))
    before = audit.state(request, REQUEST_FIELDS)
    request.status = "on_hold"
    request.on_hold_since = now
    request.hold_reason = reason
    request.updated_at = now
    await uow.session.flush()
    await audit.changed(uow, caller, "request", request, before, REQUEST_FIELDS)
    await uow.emit(
        RequestHeldV1(
            **request_fields(request, client, now), held_at=now, held_by=caller.id, reason=reason
        )
    )
    return request


async def resume_request(uow: UnitOfWork, caller: Caller, request_id: uuid.UUID) -> Request:
    """The clock restarts; ``due_at`` (and the at-risk instant) move by the business time the
    hold lasted, counted in the calendar the request opened with; ``request.resumed`` carries
    the new deadlines."""
    request, client = await _locked_request(uow, caller, request_id)
    now = uow.clock.now()
    _check(sla.check_resume, request.status)
    assert request.on_hold_since is not None
    before = audit.state(request, REQUEST_FIELDS)
    resumed = sla.resume(
        due=request.due_at,
        risk=request.at_risk_at,
        held_since=request.on_hold_since,
        resumed_at=max(now, request.on_hold_since),
        on_hold_minutes=request.on_hold_minutes,
        calendar=parse_calendar(request.calendar),
    )
    request.status = "open"
    request.due_at = resumed.due_at
    request.at_risk_at = resumed.at_risk_at
    request.on_hold_minutes = resumed.on_hold_minutes
    request.on_hold_since = None
    request.updated_at = now
    await uow.session.flush()
    await audit.changed(uow, caller, "request", request, before, REQUEST_FIELDS)
    await uow.emit(
        RequestResumedV1(
            **request_fields(request, client, now),
            at_risk_at=request.at_risk_at,
            held_minutes=resumed.held_minutes,
            resumed_by=caller.id,
        )
    )
    return request


async def close_request(
    uow: UnitOfWork, caller: Caller, request_id: uuid.UUID, command: RequestCloseIn
) -> Request:
    """Not a real request: closed with a reason and its code (409 when closed already). It
    leaves the SLA figures and the scans (no at-risk, breach or broken-promise alert after
    it); ``request.closed`` says so."""
    request, client = await _locked_request(uow, caller, request_id)
    _check(sla.check_close, request.status)
    return await close(uow, caller, request, client, command)


async def close(
    uow: UnitOfWork, caller: Caller, request: Request, client: ClientView, command: RequestCloseIn
) -> Request:
    """Close ``request`` (locked, its client locked) and announce it."""
    now = uow.clock.now()
    status = request.status
    if request.on_hold_since is not None:  # closing ends the hold
        request.on_hold_minutes = current_hold_minutes(request, now)
        request.on_hold_since = None
    request.status = "closed"
    request.closed_at = now
    request.closed_by = caller.id
    request.close_code = command.code
    request.close_reason = command.reason
    request.updated_at = now
    await uow.session.flush()
    await audit.record(
        uow,
        caller.id,
        "request",
        request.id,
        {
            "status": (status, "closed"),
            "close_code": (None, command.code),
            "close_reason": (None, command.reason),
        },
    )
    await uow.emit(
        RequestClosedV1(
            **request_fields(request, client, now),
            closed_at=now,
            closed_by=caller.id,
            code=command.code,
            reason=command.reason,
        )
    )
    return request


def current_hold_minutes(request: Request, now: datetime) -> int:
    """``on_hold_minutes`` including a hold still running."""
    if request.on_hold_since is None:
        return request.on_hold_minutes
    running = business_minutes_between(request.on_hold_since, now, parse_calendar(request.calendar))
    return request.on_hold_minutes + running
