"""/api/v1/webhooks and /api/v1/deliveries (admins only)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.notifications.api.deps import CallerDep, RuntimeDep
from services.notifications.api.filters import AboutDep
from services.notifications.api.presenters import (
    deliveries_out,
    delivery_out,
    new_webhook_out,
    webhook_out,
)
from services.notifications.api.schemas import DeliveryOut, WebhookOut
from services.notifications.commands import WebhookIn
from services.notifications.handlers import webhooks as use_cases
from services.notifications.settings import NotificationsSettings
from services.notifications.store import repository as repo
from shared.auth import Role
from shared.commands import execute, run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.lists import ListDep, ListQuery, sorted_list
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
deliveries_router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"])

DeliveryStatus = Literal["pending", "sent", "failed", "skipped", "cancelled"]


@router.post("", response_model=WebhookOut, status_code=201, operation_id="createWebhook")
async def create_webhook(
    body: WebhookIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    """Subscribe a URL to event types; the response carries the signing secret, the only
    time it is shown. A URL whose host is or resolves to a loopback, private, link-local,
    multicast or reserved address is a 422."""
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.create_webhook(
            uow,
            caller,
            body,
            allowed=settings.allowed_networks,
            allow_loopback=settings.notifications_webhook_allow_loopback,
        ),
        new_webhook_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


@router.get("", response_model=Page[WebhookOut], operation_id="listWebhooks")
async def list_webhooks(
    caller: CallerDep, runtime: RuntimeDep, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[WebhookOut]:
    caller.require(Role.ADMIN)
    async with runtime.reads() as session:
        items, next_cursor = await repo.webhooks_page(session, limit=limit, cursor=cursor)
    return page_of(items, next_cursor, webhook_out)


@router.delete(
    "/{webhook_id}", status_code=204, response_class=Response, operation_id="deleteWebhook"
)
async def delete_webhook(webhook_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> Response:
    await execute(runtime.uow, lambda uow: use_cases.delete_webhook(uow, caller, webhook_id))
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[DeliveryOut],
    responses=EXPORT_RESPONSES,
    operation_id="listWebhookDeliveries",
)
async def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    about: AboutDep,
    query: ListDep,
    status: DeliveryStatus | None = None,
    sort: Annotated[str | None, repo.DELIVERY_SORTS.param()] = None,
) -> Page[DeliveryOut] | Response:
    """The subscription's deliveries, newest first, with status, response code and timing;
    ``client_id``, ``type`` (the event's), ``severity`` narrow them."""
    caller.require(Role.ADMIN)
    where = repo.DeliveryFilter(
        channel="webhook", status=status, webhook_id=webhook_id, **about.as_filter()
    )
    async with runtime.reads() as session:
        await repo.get_webhook(session, webhook_id)
    return await deliveries_list(runtime, where, sort, query)


async def deliveries_list(
    runtime: RuntimeDep, where: repo.DeliveryFilter, sort: str | None, query: ListQuery
) -> Page[DeliveryOut] | Response:
    """A page of the deliveries ``where`` keeps, each with its attempts (``?total=true``:
    with their count), or the whole list as a file (the attempts' history left out)."""
    return await sorted_list(
        runtime,
        repo.deliveries(where),
        repo.DELIVERY_SORTS,
        sort,
        deliveries_out,
        query,
        filename="deliveries",
        header=[name for name in DeliveryOut.model_fields if name != "history"],
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    operation_id="retryWebhookDelivery",
)
async def retry_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Send the delivery once more, now (whatever its status)."""
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.retry_delivery(uow, caller, webhook_id, delivery_id),
        delivery_out,
        caller_id=caller.id,
    )


@deliveries_router.get(
    "",
    response_model=Page[DeliveryOut],
    responses=EXPORT_RESPONSES,
    operation_id="listDeliveries",
)
async def list_deliveries(
    caller: CallerDep,
    runtime: RuntimeDep,
    about: AboutDep,
    query: ListDep,
    channel: Literal["email", "webhook"] | None = None,
    status: DeliveryStatus | None = None,
    sort: Annotated[str | None, repo.DELIVERY_SORTS.param()] = None,
) -> Page[DeliveryOut] | Response:
    """Every delivery (admins), newest first: status, attempts, last error, response code,
    timing; ``channel``, ``status``, ``client_id``, ``type`` (the event's), ``severity``
    narrow them."""
    caller.require(Role.ADMIN)
    where = repo.DeliveryFilter(channel=channel, status=status, **about.as_filter())
    return await deliveries_list(runtime, where, sort, query)
