"""/api/v1/notifications: the caller's own feed (never anyone else's)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import AwareDatetime

from services.notifications import SERVICE
from services.notifications import stream as live
from services.notifications.api.deps import CallerDep, RuntimeDep
from services.notifications.api.filters import AboutDep
from services.notifications.api.presenters import notification_out
from services.notifications.api.schemas import (
    CountOut,
    NotificationOut,
    StreamTicketOut,
    UpdatedOut,
)
from services.notifications.domain.tickets import (
    new_ticket,
    ticket_digest,
    ticket_expiry,
    ticket_refusal,
)
from services.notifications.handlers import feed as handlers
from services.notifications.settings import NotificationsSettings
from services.notifications.store import repository as repo
from shared.app import bearer_scheme, checks_route_scope
from shared.auth import Caller, Role, authenticate
from shared.commands import run_command
from shared.errors import Unauthorized
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of
from shared.scopes import route_scope
from shared.values import STAFF_ROLES

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


FeedSort = Literal["created_at", "-created_at"]


@router.get("", response_model=Page[NotificationOut], operation_id="listNotifications")
async def list_notifications(
    caller: CallerDep,
    runtime: RuntimeDep,
    about: AboutDep,
    unread: bool | None = None,
    sort: Annotated[
        FeedSort, Query(description="`-created_at` (newest first, the default) or `created_at`")
    ] = "-created_at",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    """The caller's feed, newest first (``sort=created_at``: oldest first); ``unread=true``
    only the unread entries (``false``: the read ones), ``client_id``, ``type``,
    ``severity`` only those about that client, of that type, of that severity."""
    where = repo.FeedFilter(unread=unread, **about.as_filter())
    async with runtime.reads() as session:
        items, next_cursor = await repo.feed_page(
            session,
            caller.id,
            where,
            limit=limit,
            cursor=cursor,
            oldest_first=sort == "created_at",
        )
    return page_of(items, next_cursor, notification_out)


@router.get("/count", response_model=CountOut, operation_id="countNotifications")
async def count_notifications(
    caller: CallerDep, runtime: RuntimeDep, about: AboutDep, unread: bool | None = None
) -> CountOut:
    """How many of the caller's notifications match (the filters of the feed): a badge's
    number. Counted up to 10,000: beyond, ``count`` is 10000 and ``capped`` true."""
    where = repo.FeedFilter(unread=unread, **about.as_filter())
    async with runtime.reads() as session:
        count, capped = await repo.feed_count(session, caller.id, where)
    return CountOut(count=count, capped=capped)


@router.post("/read-all", response_model=UpdatedOut, operation_id="markAllNotificationsRead")
async def read_all(
    caller: CallerDep,
    runtime: RuntimeDep,
    about: AboutDep,
    before: Annotated[
        AwareDatetime | None,
        Query(
            description="only those created at or before this instant: the `created_at` of "
            "the newest entry the UI shows, so what arrived since stays unread"
        ),
    ] = None,
) -> JSONResponse:
    """Mark the caller's unread notifications read (only their own; with ``client_id``,
    ``type``, ``severity``, ``before``: only those); ``updated``: how many were. Again:
    0, nothing changes (the first read time stays)."""
    where = repo.FeedFilter(before=before, **about.as_filter())
    return await run_command(
        runtime.uow,
        lambda uow: handlers.mark_all_read(uow, caller, where),
        lambda updated: UpdatedOut(updated=updated),
        caller_id=caller.id,
    )


@router.post(
    "/{notification_id}/read", response_model=NotificationOut, operation_id="markNotificationRead"
)
async def mark_read(
    notification_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.mark_notification_read(uow, caller, notification_id),
        notification_out,
        caller_id=caller.id,
    )


@router.post(
    "/{notification_id}/ack", response_model=NotificationOut, operation_id="ackNotification"
)
async def ack(notification_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.acknowledge_notification(uow, caller, notification_id),
        notification_out,
        caller_id=caller.id,
    )


# ---------------------------------------------------------------- the live stream

HEARTBEAT = ": heartbeat\n\n"


def _sse(notification: NotificationOut) -> str:
    data = notification.model_dump_json()
    return f"id: {notification.id}\nevent: notification\ndata: {data}\n\n"


def _settings(runtime: RuntimeDep) -> NotificationsSettings:
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    return settings


@router.post(
    "/stream-tickets",
    status_code=201,
    response_model=StreamTicketOut,
    operation_id="createStreamTicket",
)
async def create_stream_ticket(
    caller: CallerDep, runtime: RuntimeDep, response: Response
) -> StreamTicketOut:
    """A single-use ticket that opens the caller's stream without the ``Authorization``
    header, for a browser's ``EventSource``: ``GET /stream?ticket=…`` within
    ``expires_at`` (``ORBIT_NOTIFICATIONS_STREAM_TICKET_SECONDS``, 60 s by default). Only its
    hash is stored; any process of the service accepts it, once."""
    ticket = new_ticket()
    now = runtime.clock.now()
    expires_at = ticket_expiry(now, _settings(runtime).notifications_stream_ticket_seconds)
    async with runtime.uow() as uow:
        await repo.add_stream_ticket(
            uow.session, ticket_digest(ticket), caller.id, caller.role.value, now, expires_at
        )
        await uow.commit()
    response.headers["Cache-Control"] = "no-store"
    return StreamTicketOut(ticket=ticket, expires_at=expires_at)


TicketParam = Annotated[
    str | None,
    Query(
        max_length=200,
        description="A ticket of `POST /stream-tickets` instead of the `Authorization` "
        "header (a browser's `EventSource` cannot send headers); single use",
    ),
]


async def stream_caller(
    request: Request,
    runtime: RuntimeDep,
    ticket: TicketParam = None,
    _bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> Caller:
    """The caller of the stream: the bearer token's, or the staff member a stream ticket
    was issued to (used up here; with a bearer token too, both must name the same one)."""
    authorization = request.headers.get("authorization")
    if ticket is None:
        caller = await authenticate(authorization, runtime.verifier, runtime.load_staff)
        caller.require_scopes((route_scope(SERVICE, request.method),))
        return caller
    bearer = (
        await authenticate(authorization, runtime.verifier, runtime.load_staff)
        if authorization
        else None
    )
    now = runtime.clock.now()
    async with runtime.uow() as uow:
        found = await repo.use_stream_ticket(uow.session, ticket_digest(ticket), now)
        await uow.commit()
    refusal = ticket_refusal(found[0] if found else None, now, bearer.id if bearer else None)
    if refusal is not None or found is None:
        raise Unauthorized(refusal or "unknown stream ticket")
    state, issued_role = found
    # As for a token: the staff record decides (deactivated since: refused), and an admin
    # needs none.
    staff = await runtime.load_staff(state.staff_id)
    if staff is None and issued_role == Role.ADMIN:
        return Caller(state.staff_id, Role.ADMIN, None)
    if staff is None or not staff.active:
        raise Unauthorized("the stream ticket's staff member is not active")
    role = staff.role if staff.role in STAFF_ROLES else issued_role
    caller = Caller(staff.id, Role(role), staff.department)
    # A ticket carries no scopes: an integration opens its stream with its token alone.
    caller.require_scopes((route_scope(SERVICE, request.method),))
    return caller


checks_route_scope(stream_caller, SERVICE)
StreamCallerDep = Annotated[Caller, Depends(stream_caller)]


@router.get(
    "/stream",
    operation_id="streamNotifications",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def stream(
    caller: StreamCallerDep,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    resume_after: Annotated[
        str | None,
        Query(
            alias="last_event_id",
            max_length=100,
            description="Resume after this notification id, as the `Last-Event-ID` header "
            "(which wins): for a new `EventSource`, which cannot send the header",
        ),
    ] = None,
) -> StreamingResponse:
    """The caller's new notifications as server-sent events (``event: notification``,
    ``id:`` the notification id, ``data:`` as in the feed), a ``: heartbeat`` comment every
    ~15 s of silence. Pushed: an entry written by any process of the service reaches the
    stream as its transaction commits. With ``Last-Event-ID`` (or ``?last_event_id=``) it
    resumes exactly after that notification: everything that became visible after it, in
    that order, nothing twice; an unknown id starts from now. The stream ends when the
    server stops. Authenticated by the ``Authorization`` header or, for a browser's
    ``EventSource``, by ``?ticket=`` (``POST /stream-tickets``); a used, expired, unknown or
    foreign ticket is a 401."""
    settings = _settings(runtime)
    start = await live.stream_start(runtime.reads, caller.id, last_event_id or resume_after)
    hub = live.feed_hub(runtime) if settings.notifications_stream_push else None

    async def events() -> AsyncIterator[str]:
        yield "retry: 2000\n: connected\n\n"
        entries = live.stream_entries(
            runtime.reads,
            hub,
            caller.id,
            start,
            poll_seconds=settings.notifications_stream_poll_seconds,
            heartbeat_seconds=settings.notifications_stream_heartbeat_seconds,
            heartbeat=HEARTBEAT,
        )
        async for entry in entries:
            yield HEARTBEAT if entry is HEARTBEAT else _sse(notification_out(entry))

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
