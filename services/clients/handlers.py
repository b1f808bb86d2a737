"""Use cases of the clients service: one function per command, run in one unit of work.

They check the rules, change the state, write the events to the outbox; the caller
(``shared.idempotency.run_command``, or :func:`execute`) commits once. Every event carries
the whole current state of its entity (event-carried state transfer).
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from services.clients.api.schemas import (
    AssignIn,
    AssignmentOut,
    ClientIn,
    ClientOut,
    ClientPatch,
    ContactIn,
    ContactOut,
    ContactPatch,
    HandoverIn,
    HandoverOut,
    SlaOut,
    StaffIn,
    StaffOut,
    StaffPatch,
)
from services.clients.domain.birthdays import Birthday, BirthdayError, parse_birthday
from services.clients.domain.contacts import (
    InvalidPhone,
    channel_problem,
    normalize_phone,
    normalize_roles,
)
from services.clients.domain.sla import effective_sla, merge_overrides
from services.clients.domain.status import IllegalTransition, ReasonRequired, change_status
from services.clients.domain.team import HEAD_ROLE, responsible_head
from services.clients.events import (
    ClientAssignedV1,
    ClientCreatedV1,
    ClientStatusChangedV1,
    ClientUpdatedV1,
    ContactCreatedV1,
    ContactDeletedV1,
    ContactUpdatedV1,
    StaffCreatedV1,
    StaffUpdatedV1,
)
from services.clients.settings import ClientsSettings
from services.clients.store import repository as repo
from services.clients.store.models import Assignment, Client, Contact, Staff
from shared.auth import Caller, Role
from shared.calendar import CalendarError, parse_calendar
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.uow import UnitOfWork, UnitOfWorkFactory

MANAGING_ROLES = ("manager", "head")


async def execute(
    uow_factory: UnitOfWorkFactory, command: Callable[[UnitOfWork], Awaitable[None]]
) -> None:
    """Run a use case without a response body (e.g. a DELETE) and commit once."""
    async with uow_factory() as uow:
        await command(uow)
        await uow.commit()


# ---------------------------------------------------------------- views and snapshots


def staff_out(staff: Staff) -> StaffOut:
    return StaffOut.model_validate(staff, from_attributes=True)


def staff_event_fields(staff: Staff) -> dict[str, Any]:
    return {
        "staff_id": staff.id, "name": staff.name, "email": staff.email, "role": staff.role,
        "department": staff.department, "head_id": staff.head_id, "timezone": staff.timezone,
        "locale": staff.locale, "active": staff.active,
    }


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
        sla_overrides=dict(client.sla_overrides or {}), status_reason=client.status_reason,
        created_at=client.created_at, updated_at=client.updated_at,
    )


def assignment_out(assignment: Assignment) -> AssignmentOut:
    return AssignmentOut.model_validate(assignment, from_attributes=True)


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut.model_validate(contact, from_attributes=True)


def manager_team(manager: Staff | None) -> dict[str, Any]:
    """What events about a client carry of its account manager's team: the department, and
    the head responsible for escalations (``domain/team.py: responsible_head``)."""
    if manager is None:
        return {"account_manager_department": None, "head_id": None}
    return {
        "account_manager_department": manager.department,
        "head_id": responsible_head(manager.id, manager.role, manager.head_id),
    }


async def account_manager(uow: UnitOfWork, client: Client) -> Staff | None:
    if client.account_manager_id is None:
        return None
    return await repo.get_staff(uow.session, client.account_manager_id)


async def client_snapshot(
    uow: UnitOfWork, client: Client, settings: ClientsSettings
) -> dict[str, Any]:
    """The state a client event carries: the client, its SLA and its manager's team."""
    return {
        "client_id": client.id, "name": client.name, "kind": client.kind, "tier": client.tier,
        "status": client.status, "status_reason": client.status_reason,
        "account_manager_id": client.account_manager_id,
        **manager_team(await account_manager(uow, client)),
        "segment": client.segment, "tags": list(client.tags or []), "country": client.country,
        "timezone": client.timezone, "sla": client_sla(client, settings),
        "created_at": client.created_at, "updated_at": client.updated_at,
        "contacts": [
            {"contact_id": c.id, "name": c.name, "email": c.email, "phone": c.phone,
             "roles": list(c.roles or []), "preferred_channel": c.preferred_channel}
            for c in await repo.contacts_of_client(uow.session, client.id)
        ],
    }


async def contact_snapshot(uow: UnitOfWork, contact: Contact, client: Client) -> dict[str, Any]:
    """The state a contact event carries: the contact, its client's manager and their team."""
    return {
        "contact_id": contact.id, "client_id": contact.client_id,
        "account_manager_id": client.account_manager_id,
        **manager_team(await account_manager(uow, client)), "name": contact.name,
        "email": contact.email, "phone": contact.phone, "position": contact.position,
        "roles": list(contact.roles or []), "birthday": contact.birthday,
        "preferred_channel": contact.preferred_channel,
    }


# ---------------------------------------------------------------- checks


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
    if manager is None or not manager.active or manager.role not in MANAGING_ROLES:
        raise Invalid.field(field, "not an active manager or head")
    if caller.role == Role.MANAGER and manager.id != caller.id:
        raise Forbidden("a manager can only assign clients to themselves")
    if caller.role == Role.HEAD and not await repo.is_in_team(uow.session, caller, manager.id):
        raise Forbidden("a head can only assign clients within their department")
    return manager


async def check_head(uow: UnitOfWork, staff_id: uuid.UUID | None, head_id: uuid.UUID) -> None:
    """``head_id`` names an active member of staff whose role is head, and ``staff_id`` is
    not above them (that would make a cycle). Call under ``repo.lock_hierarchy``."""
    if head_id == staff_id:
        raise Invalid.field("head_id", "a member of staff cannot be their own head")
    head = await repo.get_staff(uow.session, head_id)
    if head is None or not head.active or head.role != HEAD_ROLE:
        raise Invalid.field("head_id", "not an active member of staff whose role is head")
    if staff_id is not None and staff_id in await repo.heads_above(uow.session, head_id):
        raise Invalid.field(
            "head_id", f"{head.name} reports (directly or through others) to this member of "
            "staff: the heads would form a cycle",
        )


async def check_no_reports(uow: UnitOfWork, staff: Staff, change: str) -> None:
    """A head who still has active staff reporting to them keeps the role and stays active."""
    reports = await repo.count_reports(uow.session, staff.id)
    if reports:
        raise Conflict(
            f"{staff.name} is still the head of {reports} active member(s) of staff: give them "
            f"another head (PATCH /api/v1/staff/{{id}} with head_id) before {change}"
        )


# ---------------------------------------------------------------- staff


async def create_staff(uow: UnitOfWork, caller: Caller, data: StaffIn) -> StaffOut:
    caller.require(Role.ADMIN)
    email = data.email.lower()
    if await repo.staff_by_email(uow.session, email) is not None:
        raise Conflict(f"a staff member with email {email} already exists")
    if data.head_id is not None:
        await repo.lock_hierarchy(uow.session)
        await check_head(uow, None, data.head_id)
    now = uow.clock.now()
    staff = Staff(
        id=uuid.uuid4(), name=data.name, email=email, role=data.role,
        department=data.department or None, head_id=data.head_id, timezone=data.timezone,
        locale=data.locale or None, active=True, created_at=now, updated_at=now,
    )
    uow.session.add(staff)
    await uow.session.flush()
    await uow.emit(StaffCreatedV1(**staff_event_fields(staff)))
    return staff_out(staff)


async def update_staff(
    uow: UnitOfWork, caller: Caller, staff_id: uuid.UUID, data: StaffPatch,
    settings: ClientsSettings,
) -> StaffOut:
    """Update or (de)activate a member of staff. A deactivated member's tokens stop working
    in every service (they learn it from ``staff.updated``); someone who still manages
    clients must hand them over first."""
    caller.require(Role.ADMIN)
    changes = data.model_dump(exclude_unset=True)
    if {"head_id", "role", "active"} & set(changes):
        # Who reports to whom changes one at a time (no cycle or orphan from a race); taken
        # before the row lock, in the same order by every use case.
        await repo.lock_hierarchy(uow.session)
    staff = await repo.get_staff_for_update(uow.session, staff_id)
    if staff is None:
        raise NotFound(f"staff member {staff_id} not found")
    if "email" in changes:
        changes["email"] = changes["email"].lower()
        other = await repo.staff_by_email(uow.session, changes["email"])
        if other is not None and other.id != staff.id:
            raise Conflict(f"a staff member with email {changes['email']} already exists")
    for name in ("department", "locale"):
        if name in changes:
            changes[name] = changes[name] or None
    changed = sorted(k for k, v in changes.items() if getattr(staff, k) != v)
    if not changed:
        return staff_out(staff)
    if {"head_id", "role", "active"} & set(changed):
        head_id = changes.get("head_id", staff.head_id)
        active = changes.get("active", staff.active)
        if head_id is not None and active and {"head_id", "active"} & set(changed):
            await check_head(uow, staff.id, head_id)
        if staff.role == HEAD_ROLE and "active" in changed and not active:
            await check_no_reports(uow, staff, "deactivating them")
        if staff.role == HEAD_ROLE and changes.get("role", HEAD_ROLE) != HEAD_ROLE:
            await check_no_reports(uow, staff, f"changing the role to {changes['role']}")
    portfolio = await repo.count_clients_of_manager(uow.session, staff.id)
    if portfolio:
        if "active" in changed and not changes["active"]:
            raise Conflict(
                f"{staff.name} still manages {portfolio} client(s): hand them over first "
                f"(POST /api/v1/staff/{staff.id}/handover)"
            )
        if "role" in changed and changes["role"] not in MANAGING_ROLES:
            raise Conflict(
                f"{staff.name} still manages {portfolio} client(s): hand them over before "
                f"changing the role to {changes['role']}"
            )
    team_before = manager_team(staff)
    for name in changed:
        setattr(staff, name, changes[name])
    staff.updated_at = uow.clock.now()
    await uow.session.flush()
    await uow.emit(StaffUpdatedV1(**staff_event_fields(staff), changed=changed))
    team_after = manager_team(staff)
    team_changed = sorted(k for k in team_after if team_after[k] != team_before[k])
    if portfolio and team_changed:
        # Client events carry the manager's department and head: tell the replicas.
        for client in await repo.clients_of_manager(uow.session, staff.id, for_update=True):
            await uow.emit(ClientUpdatedV1(
                **await client_snapshot(uow, client, settings), changed=team_changed,
            ))
    return staff_out(staff)


async def handover(
    uow: UnitOfWork, caller: Caller, staff_id: uuid.UUID, data: HandoverIn,
    settings: ClientsSettings,
) -> HandoverOut:
    """Move every client of a (leaving) manager to another one at once: a history row and a
    ``client.assigned`` event per client. Admins; heads within their own team."""
    caller.require(Role.ADMIN, Role.HEAD)
    leaving = await repo.get_staff(uow.session, staff_id)
    if leaving is None:
        raise NotFound(f"staff member {staff_id} not found")
    if caller.role == Role.HEAD and not await repo.is_in_team(uow.session, caller, staff_id):
        raise Forbidden("a head can only hand over the clients of their own team")
    if data.to_manager_id == staff_id:
        raise Invalid.field("to_manager_id", "the clients would stay with the same manager")
    target = await check_manager(uow, caller, data.to_manager_id, field="to_manager_id")
    moved: list[uuid.UUID] = []
    for client in await repo.clients_of_manager(uow.session, staff_id, for_update=True):
        await reassign(uow, caller, client, target, data.reason, settings)
        moved.append(client.id)
    return HandoverOut(from_manager_id=staff_id, to_manager_id=target.id, reason=data.reason,
                       moved=len(moved), client_ids=moved)


# ---------------------------------------------------------------- clients


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
        segment=data.segment or None, tags=list(data.tags), country=data.country,
        timezone=data.timezone,
        sla_overrides=merge_overrides({}, data.sla.model_dump(exclude_none=True))
        if data.sla else {},
        status_reason=None, created_at=now, updated_at=now,
    )
    check_sla(client_sla(client, settings))
    uow.session.add(client)
    await uow.session.flush()
    if manager_id is not None:
        uow.session.add(Assignment(
            id=uuid.uuid4(), client_id=client.id, from_manager_id=None, to_manager_id=manager_id,
            reason=None, assigned_by=caller.id, assigned_at=now,
        ))
    await repo.set_tags(uow.session, client)
    await uow.emit(ClientCreatedV1(**await client_snapshot(uow, client, settings)))
    return client_out(client, settings)


async def reassign(
    uow: UnitOfWork, caller: Caller, client: Client, manager: Staff, reason: str | None,
    settings: ClientsSettings,
) -> bool:
    """Give ``client`` to ``manager`` (checked already): history row and event. False when
    the client is already theirs (nothing to do)."""
    if client.account_manager_id == manager.id:
        return False
    previous = client.account_manager_id
    now = uow.clock.now()
    client.account_manager_id = manager.id
    client.updated_at = now
    uow.session.add(Assignment(
        id=uuid.uuid4(), client_id=client.id, from_manager_id=previous, to_manager_id=manager.id,
        reason=reason, assigned_by=caller.id, assigned_at=now,
    ))
    await uow.session.flush()
    await uow.emit(ClientAssignedV1(
        **await client_snapshot(uow, client, settings),
        from_manager_id=previous, to_manager_id=manager.id, reason=reason,
    ))
    return True


async def assign_client(
    uow: UnitOfWork, caller: Caller, client_id: uuid.UUID, data: AssignIn,
    settings: ClientsSettings,
) -> ClientOut:
    client = await repo.get_client(uow.session, caller, client_id, for_update=True)
    caller.require(Role.ADMIN, Role.HEAD)
    manager = await check_manager(uow, caller, data.account_manager_id)
    await reassign(uow, caller, client, manager, data.reason, settings)
    return client_out(client, settings)


PLAIN_CLIENT_FIELDS = ("name", "kind", "tier", "segment", "country", "timezone")
SLA_INPUTS = frozenset({"sla", "tier", "timezone", "country"})


async def update_client(
    uow: UnitOfWork, caller: Caller, client_id: uuid.UUID, data: ClientPatch,
    settings: ClientsSettings,
) -> ClientOut:
    """PATCH: the given fields change (validated), ``client.updated`` lists them; a status
    change follows the lifecycle and emits ``client.status_changed``; a new manager is an
    assignment (history and ``client.assigned``)."""
    client = await repo.get_client(uow.session, caller, client_id, for_update=True)
    fields = data.model_dump(exclude_unset=True)
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
            value = fields[name] if name != "segment" else (fields[name] or None)
            if getattr(client, name) != value:
                setattr(client, name, value)
                changed.append(name)
    if "name" in changed:
        client.name_lower = client.name.lower()
    if "tags" in fields and fields["tags"] != list(client.tags or []):
        client.tags = list(fields["tags"])  # normalised by the schema (domain/tags.py)
        changed.append("tags")
    if "sla" in fields:
        merged = merge_overrides(client.sla_overrides, fields["sla"])
        if merged != (client.sla_overrides or {}):
            client.sla_overrides = merged
            changed.append("sla")
    if SLA_INPUTS & set(changed):
        check_sla(client_sla(client, settings))

    if changed or change:
        client.updated_at = uow.clock.now()
    if change:
        client.status = change.new
        client.status_reason = change.reason
    await uow.session.flush()
    if "tags" in changed:
        await repo.set_tags(uow.session, client)
    if changed:
        await uow.emit(ClientUpdatedV1(
            **await client_snapshot(uow, client, settings), changed=sorted(changed)
        ))
    if change:
        await uow.emit(ClientStatusChangedV1(
            **await client_snapshot(uow, client, settings),
            old_status=change.old, new_status=change.new, reason=change.reason,
        ))
    if new_manager is not None:
        await reassign(uow, caller, client, new_manager, assignment_reason, settings)
    return client_out(client, settings)


# ---------------------------------------------------------------- contacts


def _client_today(client: Client, now: datetime) -> date:
    return now.astimezone(zoneinfo.ZoneInfo(client.timezone)).date()


async def _contact_values(
    uow: UnitOfWork, client: Client, values: dict[str, Any], contact_id: uuid.UUID | None
) -> dict[str, Any]:
    """Validate and normalise a contact's fields (all of them, after a patch is applied)."""
    out = dict(values)
    if out.get("email"):
        out["email"] = str(out["email"]).lower()
        other = await repo.contact_by_email(uow.session, client.id, out["email"])
        if other is not None and other.id != contact_id:
            raise Conflict(f"{client.name} already has a contact with email {out['email']}")
    else:
        out["email"] = None
    if out.get("phone"):
        try:
            out["phone"] = normalize_phone(out["phone"], client.country)
        except InvalidPhone as exc:
            raise Invalid.field("phone", str(exc)) from exc
    else:
        out["phone"] = None
    out["roles"] = normalize_roles(out.get("roles") or [])
    out["position"] = out.get("position") or None
    birthday: Birthday | None = None
    if out.get("birthday"):
        try:
            birthday = parse_birthday(out["birthday"], _client_today(client, uow.clock.now()))
        except BirthdayError as exc:
            raise Invalid.field("birthday", str(exc)) from exc
    out["birthday"] = str(birthday) if birthday else None
    out["birthday_md"] = birthday.month_day if birthday else None
    problem = channel_problem(out.get("preferred_channel"), out["email"], out["phone"])
    if problem:
        raise Invalid.field("preferred_channel", problem)
    return out


async def create_contact(
    uow: UnitOfWork, caller: Caller, client_id: uuid.UUID, data: ContactIn
) -> ContactOut:
    client = await repo.get_client(uow.session, caller, client_id, for_update=True)
    values = await _contact_values(uow, client, data.model_dump(), None)
    now = uow.clock.now()
    contact = Contact(id=uuid.uuid4(), client_id=client.id, created_at=now, updated_at=now,
                      **values)
    uow.session.add(contact)
    await uow.session.flush()
    await repo.set_contact_roles(uow.session, contact)
    await uow.emit(ContactCreatedV1(**await contact_snapshot(uow, contact, client)))
    return contact_out(contact)


CONTACT_FIELDS = ("name", "email", "phone", "position", "roles", "birthday", "preferred_channel")


async def _locked_contact(
    uow: UnitOfWork, caller: Caller, contact_id: uuid.UUID
) -> tuple[Contact, Client]:
    """The contact and its client for a change: the client row locked first (as by every use
    case emitting events of that client, so they reach the outbox in commit order), then the
    contact read under that lock."""
    client = await repo.get_client_of_contact(uow.session, caller, contact_id, for_update=True)
    contact = await repo.get_contact(uow.session, caller, contact_id, for_update=True)
    return contact, client


async def update_contact(
    uow: UnitOfWork, caller: Caller, contact_id: uuid.UUID, data: ContactPatch
) -> ContactOut:
    contact, client = await _locked_contact(uow, caller, contact_id)
    current = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    values = await _contact_values(
        uow, client, current | data.model_dump(exclude_unset=True), contact.id
    )
    changed = [k for k, v in values.items() if getattr(contact, k) != v]
    if not changed:
        return contact_out(contact)
    for name in changed:
        setattr(contact, name, values[name])
    contact.updated_at = uow.clock.now()
    await uow.session.flush()
    if "roles" in changed:
        await repo.set_contact_roles(uow.session, contact)
    await uow.emit(ContactUpdatedV1(**await contact_snapshot(uow, contact, client)))
    return contact_out(contact)


async def delete_contact(uow: UnitOfWork, caller: Caller, contact_id: uuid.UUID) -> None:
    contact, client = await _locked_contact(uow, caller, contact_id)
    snapshot = await contact_snapshot(uow, contact, client)
    await uow.session.delete(contact)
    await uow.session.flush()
    await uow.emit(ContactDeletedV1(**snapshot))
