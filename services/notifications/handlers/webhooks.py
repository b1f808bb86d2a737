"""Use cases of the webhook subscriptions (admins only): create (the secret shown once),
delete, and send a delivery again."""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import update

from services.notifications.commands import WebhookIn
from services.notifications.domain.ssrf import (
    IPAddress,
    Network,
    UnsafeDestination,
    check_addresses,
    literal_address,
    parse_target,
)
from services.notifications.handlers.dispatch import forget_cached
from services.notifications.store import repository as repo
from services.notifications.store.models import Delivery, Webhook
from shared.auth import Caller, Role
from shared.errors import Invalid
from shared.uow import UnitOfWork

RESOLVE_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class NewWebhook:
    """A created subscription with its secret: the only time the secret is shown."""

    webhook: Webhook
    secret: str


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` is or resolves to (DNS through the event loop's resolver)."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        raise UnsafeDestination(f"the host {host!r} does not resolve") from exc
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = literal_address(str(sockaddr[0]).split("%")[0])
        if address is not None:
            found.append(address)
    return found


async def checked_destination(
    url: str, allowed: Sequence[Network], allow_loopback: bool
) -> list[IPAddress]:
    """The addresses a webhook to ``url`` may connect to, or :class:`UnsafeDestination`."""
    target = parse_target(url)
    return check_addresses(await resolve(target.host, target.port), allowed, allow_loopback)


async def create_webhook(
    uow: UnitOfWork,
    caller: Caller,
    body: WebhookIn,
    *,
    allowed: Sequence[Network],
    allow_loopback: bool,
) -> NewWebhook:
    caller.require(Role.ADMIN)
    try:
        await checked_destination(body.url, allowed, allow_loopback)
    except UnsafeDestination as exc:
        raise Invalid(str(exc), [{"loc": ["body", "url"], "msg": str(exc)}]) from exc
    secret = new_secret()
    webhook = Webhook(
        id=uuid.uuid4(),
        url=body.url,
        event_types=list(body.event_types),
        secret=secret,
        active=True,
        created_at=uow.clock.now(),
        created_by=caller.id,
    )
    uow.session.add(webhook)
    await uow.session.flush()
    forget_cached(uow)
    return NewWebhook(webhook, secret)


async def delete_webhook(uow: UnitOfWork, caller: Caller, webhook_id: uuid.UUID) -> None:
    """Unsubscribe: nothing more is sent; what was waiting is cancelled."""
    caller.require(Role.ADMIN)
    webhook = await repo.get_webhook(uow.session, webhook_id, for_update=True)
    webhook.active = False
    webhook.deleted_at = uow.clock.now()
    forget_cached(uow)
    await uow.session.execute(
        update(Delivery)
        .where(Delivery.webhook_id == webhook_id, Delivery.status == "pending")
        .values(status="cancelled", claimed_until=None)
    )


async def retry_delivery(
    uow: UnitOfWork, caller: Caller, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> Delivery:
    """Send a delivery again, now (the worker takes it at its next round)."""
    caller.require(Role.ADMIN)
    await repo.get_webhook(uow.session, webhook_id)
    delivery = await repo.get_webhook_delivery(
        uow.session, webhook_id, delivery_id, for_update=True
    )
    delivery.status = "pending"
    delivery.next_attempt_at = uow.clock.now()
    delivery.claimed_until = None
    await uow.session.flush()
    return delivery
