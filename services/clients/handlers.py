"""Use cases of the clients service: one function per command, run in one unit of work.

They check the rules, change the state, write the events to the outbox; the caller
(``shared.idempotency.run_command``) commits once.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.clients.api.schemas import ClientIn, ClientOut, SlaOut, StaffIn, StaffOut
from services.clients.domain.sla import effective_sla
from services.clients.events import ClientCreatedV1, StaffCreatedV1
from services.clients.settings import ClientsSettings
from services.clients.store import repository as repo
from services.clients.store.models import Client, Staff
from shared.auth import Caller, Role
from shared.calendar import CalendarError, parse_calendar
from shared.errors import Conflict, Forbidden, Invalid
from shared.uow import UnitOfWork

MANAGING_ROLES = ("manager", "head")


def staff_out(staff: Staff) -> StaffOut:
    return StaffOut.model_validate(staff, from_attributes=True)


def staff_event_fields(staff: Staff) -> dict[str, Any]:
    return {
        "staff_id": staff.id, "name": staff.name, "email": staff.email, "role": staff.role,
        "department": staff.department, "head_id": staff.head_id, "timezone": staff.timezone,
        "locale": staff.locale, "active": staff.active,
    }


async def create_staff(uow: UnitOfWork, caller: Caller, data: StaffIn) -> StaffOut:
    caller.require(Role.ADMIN)
    email = data.email.lower()
    if await repo.staff_by_email(uow.session, email) is not None:
        raise Conflict(f"a staff member with email {email} already exists")
    if data.head_id is not None:
        head = await repo.get_staff(uow.session, data.head_id)
        if head is None or not head.active:
            raise Invalid.field("head_id", "unknown or inactive staff member")
    now = uow.clock.now()
    staff = Staff(
        id=uuid.uuid4(), name=data.name, email=email, role=data.role,
        department=data.department or None, head_id=data.head_id, timezone=data.timezone,
        locale=data.locale, active=True, created_at=now, updated_at=now,
    )
    uow.session.add(staff)
    await uow.session.flush()
    await uow.emit(StaffCreatedV1(**staff_event_fields(staff)))
    return staff_out(staff)


def client_sla(client: Client, settings: ClientsSettings) -> dict[str, Any]:
    return effective_sla(
        client.tier,
        client.sla_overrides,
        tier_defaults=settings.sla_defaults,
        client_timezone=client.timezone,
        client_country=client.country,
        default_working_hours=settings.default_working_hours,
    )


def client_out(client: Client, settings: ClientsSettings) -> ClientOut:
    return ClientOut(
        id=client.id, name=client.name, kind=client.kind, tier=client.tier,
        status=client.status, account_manager_id=client.account_manager_id,
        segment=client.segment, tags=list(client.tags or []), country=client.country,
        timezone=client.timezone, sla=SlaOut.model_validate(client_sla(client, settings)),
        created_at=client.created_at, updated_at=client.updated_at,
    )


async def client_snapshot(
    uow: UnitOfWork, client: Client, settings: ClientsSettings
) -> dict[str, Any]:
    """The state a client event carries: the client, its SLA and its manager's team."""
    manager = (
        await repo.get_staff(uow.session, client.account_manager_id)
        if client.account_manager_id
        else None
    )
    return {
        "client_id": client.id, "name": client.name, "kind": client.kind, "tier": client.tier,
        "status": client.status, "account_manager_id": client.account_manager_id,
        "account_manager_department": manager.department if manager else None,
        "head_id": manager.head_id if manager else None,
        "segment": client.segment, "tags": list(client.tags or []), "country": client.country,
        "timezone": client.timezone, "sla": client_sla(client, settings),
        "created_at": client.created_at, "updated_at": client.updated_at,
    }


def check_sla(sla: dict[str, Any]) -> None:
    """The merged calendar must be a usable business calendar."""
    try:
        parse_calendar(sla["calendar"])
    except CalendarError as exc:
        raise Invalid.field(["sla", "calendar", *exc.field.split(".")], exc.msg) from exc


async def check_manager(uow: UnitOfWork, caller: Caller, manager_id: uuid.UUID) -> Staff:
    """The client's account manager: an active manager or head the caller may assign to."""
    manager = await repo.get_staff(uow.session, manager_id)
    if manager is None or not manager.active or manager.role not in MANAGING_ROLES:
        raise Invalid.field("account_manager_id", "not an active manager")
    if caller.role == Role.MANAGER and manager.id != caller.id:
        raise Forbidden("a manager can only assign clients to themselves")
    if caller.role == Role.HEAD and manager.id != caller.id and not (
        manager.head_id == caller.id
        or (caller.department and manager.department == caller.department)
    ):
        raise Forbidden("a head can only assign clients within their department")
    return manager


async def create_client(
    uow: UnitOfWork, caller: Caller, data: ClientIn, settings: ClientsSettings
) -> ClientOut:
    caller.require(Role.ADMIN, Role.HEAD, Role.MANAGER)
    manager_id = data.account_manager_id
    if manager_id is None and caller.role in (Role.MANAGER, Role.HEAD):
        manager_id = caller.id
    if manager_id is not None:
        await check_manager(uow, caller, manager_id)
    now = uow.clock.now()
    client = Client(
        id=uuid.uuid4(), name=data.name, name_lower=data.name.lower(), kind=data.kind,
        tier=data.tier, status=data.status, account_manager_id=manager_id,
        segment=data.segment or None, tags=sorted(set(data.tags)), country=data.country,
        timezone=data.timezone,
        sla_overrides=data.sla.model_dump(exclude_none=True) if data.sla else {},
        status_reason=None, created_at=now, updated_at=now,
    )
    check_sla(client_sla(client, settings))
    uow.session.add(client)
    await uow.session.flush()
    await repo.set_tags(uow.session, client)
    await uow.emit(ClientCreatedV1(**await client_snapshot(uow, client, settings)))
    return client_out(client, settings)
