"""/api/v1/notifications: the caller's own feed (never anyone else's)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse

from services.notifications.api.deps import CallerDep, RuntimeDep
from services.notifications.api.presenters import notification_out
from services.notifications.api.schemas import NotificationOut
from services.notifications.handlers import feed as handlers
from services.notifications.settings import NotificationsSettings
from services.notifications.store import repository as repo
from services.notifications.store.models import Notification
from shared.commands import run_command
from shared.lifecycle import shutting_down
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationOut], operation_id="listNotifications")
async def list_notifications(
    caller: CallerDep,
    runtime: RuntimeDep,
    unread: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    """The caller's feed, newest first; ``unread=true`` only the unread entries."""
    async with runtime.reads() as session:
        items, next_cursor = await repo.feed_page(
            session, caller.id, unread=unread, limit=limit, cursor=cursor
        )
    return page_of(items, next_cursor, notification_out)


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

# Rows committed slightly out of created_at order (concurrent transactions) are still caught:
# each poll looks this far back and skips what it already sent.
STREAM_LOOKBACK = timedelta(seconds=5)


def _sse(notification: Notification) -> str:
    data = notification_out(notification).model_dump_json()
    return f"id: {notification.id}\nevent: notification\ndata: {data}\n\n"


@router.get(
    "/stream",
    operation_id="streamNotifications",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def stream(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The caller's new notifications as server-sent events (``event: notification``,
    ``id:`` the notification id, ``data:`` as in the feed), a ``: heartbeat`` comment every
    ~15 s. With ``Last-Event-ID`` it resumes after that notification. Notifications created
    by any process are seen (the stream polls the table); the stream ends when the server
    stops."""
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    resume: tuple[datetime, str] | None = None
    watermark: datetime | None = None
    seen: dict[uuid.UUID, datetime] = {}
    async with runtime.reads() as session:
        if last_event_id:
            try:
                last_id = uuid.UUID(last_event_id.strip())
            except ValueError:
                last_id = None
            at = await repo.notification_time(session, caller.id, last_id) if last_id else None
            if at is not None:
                resume = (at, str(last_id))
                watermark = at
        if watermark is None and resume is None:
            # Only what is created from now on: everything at or after the newest is seen.
            latest = await repo.notifications_after(session, caller.id, None, limit=1, newest=True)
            if latest:
                watermark = latest[0].created_at
                for row in await repo.notifications_after(session, caller.id, watermark):
                    seen[row.id] = row.created_at

    async def events() -> AsyncIterator[str]:
        nonlocal watermark
        yield "retry: 2000\n: connected\n\n"
        last_beat = time.monotonic()
        while not shutting_down():
            if await request.is_disconnected():
                return
            since = None if watermark is None else watermark - STREAM_LOOKBACK
            async with runtime.reads() as session:
                rows = await repo.notifications_after(session, caller.id, since, limit=1000)
            for row in rows:
                if row.id in seen:
                    continue
                if resume is not None and (row.created_at, str(row.id)) <= resume:
                    continue
                seen[row.id] = row.created_at
                if watermark is None or row.created_at > watermark:
                    watermark = row.created_at
                yield _sse(row)
            if watermark is not None and len(seen) > 1000:
                floor = watermark - 2 * STREAM_LOOKBACK
                for key in [k for k, at in seen.items() if at < floor]:
                    del seen[key]
            if time.monotonic() - last_beat >= settings.stream_heartbeat_seconds:
                last_beat = time.monotonic()
                yield ": heartbeat\n\n"
            await asyncio.sleep(settings.stream_poll_seconds)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
