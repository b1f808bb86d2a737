"""Use cases of the policies (``/api/v1/settings``): read the values in force of a scope (the
global one, or a department's), write a new version of its document.

A change is versioned (a ``settings_versions`` row with its author and time), audited (a row
per changed field), published (``settings.changed``) and takes effect: when it touches what a
client's SLA depends on, every affected client is re-stated (``client.updated`` with
``changed: ["sla"]``) so the other services' replicas follow — requests already open keep the
deadline they opened with, new ones and the cadence follow the new policy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.clients.commands import SettingsIn
from services.clients.domain import policies as rules
from services.clients.events import ClientUpdatedV1, SettingsChangedV1
from services.clients.policies import GLOBAL, ClientPolicies, PolicyBook
from services.clients.snapshots import client_snapshot
from services.clients.store import settings as store
from services.clients.store.models import Client, SettingsVersion, Staff
from shared import audit
from shared.auth import Caller, Role
from shared.errors import Conflict, Forbidden, Invalid
from shared.store import locked
from shared.uow import UnitOfWork


@dataclass(frozen=True)
class SettingsView:
    """A scope's values in force, which of them its own document sets, and its version."""

    department: str | None
    version: int
    values: dict[str, Any]
    overridden: list[str]
    updated_by: uuid.UUID | None
    updated_at: datetime | None


def scope_name(department: str | None) -> str:
    return f"department:{department}" if department else "global"


def check_reader(caller: Caller, department: str | None) -> None:
    """Admins read every scope; a head the global values and their own department's."""
    caller.require(Role.ADMIN, Role.HEAD)
    if caller.role == Role.HEAD and department and department != caller.department:
        raise Forbidden("a head reads the settings of their own department only")


def check_writer(caller: Caller, department: str | None) -> None:
    """Admins write every scope; a head their own department's, within the bounds."""
    caller.require(Role.ADMIN, Role.HEAD)
    if caller.role == Role.HEAD and (not department or department != caller.department):
        raise Forbidden("a head changes the settings of their own department only")


def view(book: PolicyBook, department: str | None) -> SettingsView:
    row = book.stored.get(department or GLOBAL)
    return SettingsView(
        department=department or None,
        version=book.version(department),
        values=book.effective(department),
        overridden=rules.overridden(book.document(department)),
        updated_by=None if row is None else row.author_id,
        updated_at=None if row is None else row.created_at,
    )


async def read_settings(
    uow: UnitOfWork, caller: Caller, department: str | None, policies: ClientPolicies
) -> SettingsView:
    check_reader(caller, department)
    return view(await policies.ready(uow.session), department)


def invalid(problems: list[rules.Problem]) -> Invalid:
    errors = [{"loc": ["body", *loc], "msg": msg} for loc, msg in problems]
    detail = "; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems)
    return Invalid(detail, errors)


async def put_settings(
    uow: UnitOfWork,
    caller: Caller,
    department: str | None,
    data: SettingsIn,
    policies: ClientPolicies,
    if_match: int | None = None,
) -> SettingsView:
    """Replace a scope's document (PUT: the fields it leaves out are inherited). 409 when
    ``if_match`` is not the version in force; nothing stored when the document is unchanged."""
    check_writer(caller, department)
    scope = department or GLOBAL
    document = data.document()
    if scope and document.get("bounds") is not None:
        raise Invalid.field("bounds", "only the global settings set bounds")
    await store.lock_scope(uow.session, scope)
    book = await policies.ready(uow.session)
    current = book.stored.get(scope)
    version = book.version(scope)
    if if_match is not None and if_match != version:
        raise Conflict(f"the settings are at version {version}, not {if_match}: read them again")
    if caller.role == Role.HEAD:
        problems = rules.bound_problems(document, book.effective(None).get("bounds") or {})
        if problems:
            raise invalid(problems)
    if current is not None and current.document == document:
        return view(book, department)
    changed_book = PolicyBook(
        book.defaults,
        {
            **book.stored,
            scope: SettingsVersion(
                department=scope,
                version=version + 1,
                document=document,
                changed_fields=[],
                author_id=caller.id,
                created_at=uow.clock.now(),
            ),
        },
    )
    after = changed_book.effective(department)
    problems = rules.tier_order_problems(after)
    if not scope:  # a global change must leave every department's targets in order too
        for other in sorted(name for name in book.stored if name):
            problems += [
                (loc, f"{msg} (in department {other})")
                for loc, msg in rules.tier_order_problems(changed_book.effective(other))
            ]
    if problems:
        raise invalid(problems)
    changed = rules.changed_fields(book.effective(department), after)
    row = changed_book.stored[scope]
    row.changed_fields = changed
    uow.session.add(row)
    await uow.session.flush()
    before_doc = {} if current is None else current.document
    await audit.record(
        uow,
        caller.id,
        "settings",
        scope_name(department),
        audit.diff(before_doc, document, (*rules.POLICY_FIELDS, *rules.GLOBAL_ONLY)),
    )
    await uow.emit(
        SettingsChangedV1(
            scope=scope_name(department),
            department=department or None,
            version=row.version,
            values=document,
            changed_fields=changed,
            actor_id=caller.id,
            changed_at=row.created_at,
        )
    )
    policies.book = changed_book
    if rules.SLA_POLICY_FIELDS & set(changed):
        await restate_clients(uow, department, policies, caller.id)
    return view(changed_book, department)


async def restate_clients(
    uow: UnitOfWork, department: str | None, policies: ClientPolicies, actor_id: uuid.UUID
) -> int:
    """``client.updated`` (``changed: ["sla"]``) for every client whose effective SLA may have
    changed: the department's clients (by their account manager), or every client for a
    global change; locked in id order first, as every use case emitting a client's events."""
    stmt = select(Client).order_by(Client.id)
    if department:
        managers = select(Staff.id).where(Staff.department == department)
        stmt = stmt.where(Client.account_manager_id.in_(managers))
    clients = list((await uow.session.scalars(locked(stmt, Client))).all())
    for client in clients:
        await uow.emit(
            ClientUpdatedV1(
                **await client_snapshot(uow, client, policies),
                changed=["sla"],
                actor_id=actor_id,
            )
        )
    return len(clients)


async def history_page(
    uow_session: Any,
    caller: Caller,
    department: str | None,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[SettingsVersion], str | None]:
    check_reader(caller, department)
    return await store.history_page(uow_session, department or "", limit=limit, cursor=cursor)
