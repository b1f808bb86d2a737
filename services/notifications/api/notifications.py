"""/api/v1/notifications: the caller's own feed (never anyone else's)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from services.notifications import handlers
from services.notifications.api.schemas import NotificationOut
from services.notifications.store import repository as repo
from shared.app import caller_dependency, runtime_dependency
from shared.auth import Caller
from shared.idempotency import run_command
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_dependency("notifications"))]
CallerDep = Annotated[Caller, Depends(caller_dependency("notifications"))]


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
    return Page(items=[handlers.notification_out(n) for n in items], next_cursor=next_cursor)


@router.post("/{notification_id}/read", response_model=NotificationOut,
             operation_id="markNotificationRead")
async def mark_read(notification_id: uuid.UUID, caller: CallerDep,
                    runtime: RuntimeDep) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.mark_notification_read(uow, caller, notification_id),
        caller_id=caller.id,
    )


@router.post("/{notification_id}/ack", response_model=NotificationOut,
             operation_id="ackNotification")
async def ack(notification_id: uuid.UUID, caller: CallerDep,
              runtime: RuntimeDep) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.acknowledge_notification(uow, caller, notification_id),
        caller_id=caller.id,
    )
