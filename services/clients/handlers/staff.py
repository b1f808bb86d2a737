"""Use cases of the staff directory: create, update or (de)activate, hand a portfolio over."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.clients.commands import HandoverIn, StaffIn, StaffPatch
from services.clients.domain.team import (
    can_be_head,
    changed_fields,
    head_to_check,
    leaving_head_role,
    portfolio_problem,
    touches_reporting_lines,
)
from services.clients.events import ClientUpdatedV1, StaffCreatedV1, StaffUpdatedV1
from services.clients.handlers import trail
from services.clients.handlers.clients import check_manager, reassign
from services.clients.policies import ClientPolicies
from services.clients.snapshots import client_snapshot, manager_team, staff_event_fields
from services.clients.store import repository as repo
from services.clients.store.models import Staff
from shared.auth import Caller, Role
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class Handover:
    """What a handover did: the clients moved from one manager to another."""

    from_manager_id: uuid.UUID
    to_manager_id: uuid.UUID
    reason: str
    client_ids: list[uuid.UUID]


async def check_head(uow: UnitOfWork, staff_id: uuid.UUID | None, head_id: uuid.UUID) -> None:
    """``head_id`` names an active member of staff whose role is head, and ``staff_id`` is
    not above them (that would make a cycle). Call under ``repo.lock_hierarchy``."""
    if head_id == staff_id:
        raise Invalid.field("head_id", "a member of staff cannot be their own head")
    head = await repo.get_staff(uow.session, head_id)
    if head is None or not can_be_head(head.role, head.active):
        raise Invalid.field("head_id", "not an active member of staff whose role is head")
    if staff_id is not None and staff_id in await repo.heads_above(uow.session, head_id):
        raise Invalid.field(
            "head_id",
            f"{head.name} reports (directly or through others) to this member of "
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


async def create_staff(uow: UnitOfWork, caller: Caller, data: StaffIn) -> Staff:
    caller.require(Role.ADMIN)
    email = data.email.lower()
    if await repo.staff_by_email(uow.session, email) is not None:
        raise Conflict(f"a staff member with email {email} already exists")
    await repo.check_external_id(uow.session, Staff, data.external_id, None)
    if data.head_id is not None:
        await repo.lock_hierarchy(uow.session)
        await check_head(uow, None, data.head_id)
    now = uow.clock.now()
    staff = Staff(
        id=uuid.uuid4(),
        external_id=data.external_id,
        name=data.name,
        email=email,
        role=data.role,
        department=data.department or None,
        head_id=data.head_id,
        timezone=data.timezone,
        locale=data.locale or None,
        title=data.title or None,
        active=True,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(staff)
    await uow.session.flush()
    await trail.created(uow, caller, "staff", staff, trail.STAFF_FIELDS)
    await uow.emit(StaffCreatedV1(**staff_event_fields(staff), actor_id=caller.id))
    return staff


async def update_staff(
    uow: UnitOfWork,
    caller: Caller,
    staff_id: uuid.UUID,
    data: StaffPatch,
    policies: ClientPolicies,
) -> Staff:
    """Update or (de)activate a member of staff. A deactivated member's tokens stop working
    in every service (they learn it from ``staff.updated``); someone who still manages
    clients must hand them over first (``domain/team.py`` has the rules)."""
    caller.require(Role.ADMIN)
    changes = data.model_dump(exclude_unset=True)
    if touches_reporting_lines(changes):
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
    if "external_id" in changes:
        await repo.check_external_id(uow.session, Staff, changes["external_id"], staff.id)
    for name in ("department", "locale", "title"):
        if name in changes:
            changes[name] = changes[name] or None
    changed = changed_fields({k: getattr(staff, k) for k in changes}, changes)
    if not changed:
        return staff
    if touches_reporting_lines(changed):
        head_id = head_to_check(staff.head_id, staff.active, changes, changed)
        if head_id is not None:
            await check_head(uow, staff.id, head_id)
        leaving = leaving_head_role(staff.role, changes, changed)
        if leaving is not None:
            await check_no_reports(uow, staff, leaving)
    portfolio = await repo.count_clients_of_manager(uow.session, staff.id)
    problem = portfolio_problem(staff.name, staff.id, portfolio, changes, changed)
    if problem is not None:
        raise Conflict(problem)
    team_before = manager_team(staff)
    before = trail.state(staff, trail.STAFF_FIELDS)
    for name in changed:
        setattr(staff, name, changes[name])
    staff.updated_at = uow.clock.now()
    await uow.session.flush()
    await trail.changed(uow, caller, "staff", staff, before, trail.STAFF_FIELDS)
    await uow.emit(StaffUpdatedV1(**staff_event_fields(staff), changed=changed, actor_id=caller.id))
    team_after = manager_team(staff)
    team_changed = sorted(k for k in team_after if team_after[k] != team_before[k])
    if portfolio and team_changed:
        # Client events carry the manager's department and head: tell the replicas.
        for client in await repo.clients_of_manager(uow.session, staff.id, for_update=True):
            await uow.emit(
                ClientUpdatedV1(
                    **await client_snapshot(uow, client, policies),
                    changed=team_changed,
                    actor_id=caller.id,
                )
            )
    return staff


async def handover(
    uow: UnitOfWork,
    caller: Caller,
    staff_id: uuid.UUID,
    data: HandoverIn,
    policies: ClientPolicies,
) -> Handover:
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
        await reassign(uow, caller, client, target, data.reason, policies)
        moved.append(client.id)
    return Handover(
        from_manager_id=staff_id, to_manager_id=target.id, reason=data.reason, client_ids=moved
    )
