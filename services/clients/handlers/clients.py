"""Use cases of the portfolio: create and update a client, give it to another manager."""

from __future__ import annotations

import uuid
from typing import Any

from services.clients.commands import AssignIn, ClientIn, ClientPatch
from services.clients.domain.sla import merge_overrides
from services.clients.domain.status import IllegalTransition, ReasonRequired, change_status
from services.clients.domain.team import can_manage_clients
from services.clients.events import (
    ClientAssignedV1,
    ClientCreatedV1,
    ClientStatusChangedV1,
    ClientUpdatedV1,
)
from services.clients.handlers import trail
from services.clients.policies import ClientPolicies
from services.clients.snapshots import client_sla, client_snapshot
from services.clients.store import repository as repo
from services.clients.store.models import Assignment, Client, Staff
from shared import audit
from shared.auth import Caller, Role
from shared.calendar import CalendarError, parse_calendar
from shared.errors import Conflict, Forbidden, Invalid
from shared.uow import UnitOfWork

PLAIN_CLIENT_FIELDS = (
    "name",
    "kind",
    "tier",
    "segment",
    "country",
    "timezone",
    "locale",
    "greetings",
)
SLA_INPUTS = frozenset({"sla", "tier", "timezone", "country"})


def check_sla(sla: dict[str, Any]) -> None:
    """The merged calendar must be a usable business calendar."""
    try:
        parse_calendar(sla["calendar"])
    except CalendarError as exc:
        raise Invalid.field(["sla", "calendar", *exc.field.split(".")], exc.msg) from exc


async def check_manager(
    uow: UnitOfWork, caller: Caller, manager_id: uuid.UUID, field: str = "account_manager_id"
) -> Staff:
    """A client's account manager: an active manager or head the caller may assign to."""
    manager = await repo.get_staff(uow.session, manager_id)
    if manager is None or not can_manage_clients(manager.role, manager.active):
        raise Invalid.field(field, "not an active manager or head")
    if caller.role == Role.MANAGER and manager.id != caller.id:
        raise Forbidden("a manager can only assign clients to themselves")
    if caller.role == Role.HEAD and not await repo.is_in_team(uow.session, caller, manager.id):
        raise Forbidden("a head can only assign clients within their department")
    return manager


async def create_client(
    uow: UnitOfWork, caller: Caller, data: ClientIn, policies: ClientPolicies
) -> Client:
    caller.require(Role.ADMIN, Role.HEAD, Role.MANAGER, Role.INTEGRATION)
    manager_id = data.account_manager_id
    if manager_id is None and caller.role in (Role.MANAGER, Role.HEAD):
        manager_id = caller.id
    if manager_id is not None:
        await check_manager(uow, caller, manager_id)
    await repo.check_external_id(uow.session, Client, data.external_id, None)
    now = uow.clock.now()
    client = Client(
        id=uuid.uuid4(),
        external_id=data.external_id,
        name=data.name,
        name_lower=data.name.lower(),
        kind=data.kind,
        tier=data.tier,
        status=data.status,
        account_manager_id=manager_id,
        segment=data.segment or None,
        tags=list(data.tags),
        country=data.country,
        timezone=data.timezone,
        locale=data.locale or None,
        greetings=data.greetings,
        sla_overrides=merge_overrides({}, data.sla.model_dump(exclude_none=True))
        if data.sla
        else {},
        status_reason=None,
        created_at=now,
        updated_at=now,
    )
    check_sla(await client_sla(uow, client, policies))
    uow.session.add(client)
    await uow.session.flush()
    if manager_id is not None:
        await repo.add_first_assignment(uow.session, client, caller.id, now)
    await repo.set_tags(uow.session, client, new=True)
    await trail.created(uow, caller, "client", client, (*trail.CLIENT_FIELDS, "account_manager_id"))
    await uow.emit(
        ClientCreatedV1(
            **await client_snapshot(uow, client, policies, new=True), actor_id=caller.id
        )
    )
    return client


async def reassign(
    uow: UnitOfWork,
    caller: Caller,
    client: Client,
    manager: Staff,
    reason: str | None,
    policies: ClientPolicies,
) -> bool:
    """Give ``client`` to ``manager`` (checked already): history row and event. False when
    the client is already theirs (nothing to do)."""
    if client.account_manager_id == manager.id:
        return False
    previous = client.account_manager_id
    now = uow.clock.now()
    client.account_manager_id = manager.id
    client.updated_at = now
    uow.session.add(
        Assignment(
            id=uuid.uuid4(),
            client_id=client.id,
            from_manager_id=previous,
            to_manager_id=manager.id,
            reason=reason,
            assigned_by=caller.id,
            assigned_at=now,
        )
    )
    await uow.session.flush()
    await audit.record(
        uow, caller.id, "client", client.id, {"account_manager_id": (previous, manager.id)}
    )
    await uow.emit(
        ClientAssignedV1(
            **await client_snapshot(uow, client, policies),
            actor_id=caller.id,
            from_manager_id=previous,
            to_manager_id=manager.id,
            reason=reason,
        )
    )
    return True


async def assign_client(
    uow: UnitOfWork,
    caller: Caller,
    client_id: uuid.UUID,
    data: AssignIn,
    policies: ClientPolicies,
) -> Client:
    client = await repo.get_client(uow.session, caller, client_id, for_update=True)
    caller.require(Role.ADMIN, Role.HEAD)
    manager = await check_manager(uow, caller, data.account_manager_id)
    await reassign(uow, caller, client, manager, data.reason, policies)
    return client


async def update_client(
    uow: UnitOfWork,
    caller: Caller,
    client_id: uuid.UUID,
    data: ClientPatch,
    policies: ClientPolicies,
) -> Client:
    """PATCH: the given fields change (validated), ``client.updated`` lists them; a status
    change follows the lifecycle and emits ``client.status_changed``; a new manager is an
    assignment (history and ``client.assigned``)."""
    client = await repo.get_client(uow.session, caller, client_id, for_update=True)
    before = trail.state(client, trail.CLIENT_FIELDS)
    fields = data.model_dump(exclude_unset=True)
    if "external_id" in fields:
        # A key of the system the client came from: no event carries it.
        external_id = fields.pop("external_id")
        await repo.check_external_id(uow.session, Client, external_id, client.id)
        client.external_id = external_id
    new_manager: Staff | None = None
    manager_id = fields.pop("account_manager_id", None)
    assignment_reason = fields.pop("assignment_reason", None) or None
    if assignment_reason is not None and manager_id is None:
        raise Invalid.field("assignment_reason", "give it together with account_manager_id")
    if manager_id is not None and manager_id != client.account_manager_id:
        caller.require(Role.ADMIN, Role.HEAD)
        new_manager = await check_manager(uow, caller, manager_id)
    status = fields.pop("status", None)
    reason = fields.pop("status_reason", None) or None
    change = None
    if status is not None:
        try:
            change = change_status(client.status, status, reason)
        except IllegalTransition as exc:
            raise Conflict(str(exc)) from exc
        except ReasonRequired as exc:
            raise Invalid.field("status_reason", str(exc)) from exc
    elif reason is not None:
        raise Invalid.field("status_reason", "give it together with the new status")

    changed: list[str] = []
    for name in PLAIN_CLIENT_FIELDS:
        if name in fields:
            value = fields[name] if name not in ("segment", "locale") else (fields[name] or None)
            if getattr(client, name) != value:
                setattr(client, name, value)
                changed.append(name)
    if "name" in changed:
        client.name_lower = client.name.lower()
    if "tags" in fields and fields["tags"] != list(client.tags or []):
        client.tags = list(fields["tags"])  # normalised by the command (domain/tags.py)
        changed.append("tags")
    if "sla" in fields:
        merged = merge_overrides(client.sla_overrides, fields["sla"])
        if merged != (client.sla_overrides or {}):
            client.sla_overrides = merged
            changed.append("sla")
    if SLA_INPUTS & set(changed):
        check_sla(await client_sla(uow, client, policies))

    if changed or change:
        client.updated_at = uow.clock.now()
    if change:
        client.status = change.new
        client.status_reason = change.reason
    await uow.session.flush()
    if "tags" in changed:
        await repo.set_tags(uow.session, client)
    if changed:
        await uow.emit(
            ClientUpdatedV1(
                **await client_snapshot(uow, client, policies),
                changed=sorted(changed),
                actor_id=caller.id,
            )
        )
    if change:
        await uow.emit(
            ClientStatusChangedV1(
                **await client_snapshot(uow, client, policies),
                actor_id=caller.id,
                old_status=change.old,
                new_status=change.new,
                reason=change.reason,
            )
        )
    await trail.changed(uow, caller, "client", client, before, trail.CLIENT_FIELDS)
    if new_manager is not None:
        await reassign(uow, caller, client, new_manager, assignment_reason, policies)
    return client
