"""Use cases of the rules: everyone reads the global ones, admins replace them; a
department's own rules (over the global ones for the events of its clients) are read by its
staff and replaced by its head, and by admins for every department. Each replacement writes
the audit trail of the scope (a row per event type whose rule changed) in its unit of work;
its trail is read by admins, and by heads for the global rules and their own department's."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.rules import (
    AUDIT_ENTITY,
    Rule,
    RuleError,
    audit_id,
    rule_changes,
    validate_rules,
)
from services.notifications.handlers.dispatch import forget_cached
from services.notifications.store import repository as repo
from shared import audit
from shared.auth import Caller, Role
from shared.errors import Forbidden, Invalid
from shared.pagination import Page
from shared.uow import UnitOfWork


def check_reader(caller: Caller, department: str | None) -> None:
    """The global rules: everyone; a department's: its own staff, admins and integrations
    (who see the whole company)."""
    if department and not caller.company_wide and caller.department != department:
        raise Forbidden("a department's rules are read by its own staff and admins")


def check_writer(caller: Caller, department: str | None) -> None:
    """The global rules: admins; a department's: admins and its own head."""
    if caller.role == Role.ADMIN:
        return
    if department and caller.role == Role.HEAD and caller.department == department:
        return
    if department:
        raise Forbidden("a head changes the rules of their own department only")
    caller.require(Role.ADMIN)


def check_trail_reader(caller: Caller, department: str | None) -> None:
    """The trail of the rules (as of the settings): admins every scope's; a head the global
    rules' and their own department's; 403 otherwise."""
    caller.require(Role.ADMIN, Role.HEAD)
    if caller.role == Role.HEAD and department and department != caller.department:
        raise Forbidden("a head reads the trail of their own department's rules only")


async def read_rules(
    session: AsyncSession, caller: Caller, department: str | None
) -> tuple[Rule, ...]:
    """The rules in force for ``department``'s clients (the global ones for None)."""
    check_reader(caller, department)
    return await repo.load_rules(session, department)


async def replace_rules(
    uow: UnitOfWork, caller: Caller, items: Any, department: str | None = None
) -> tuple[Rule, ...]:
    """Replace every rule of the scope with ``items`` (the PUT body); a bad item is a 422
    naming it (``["body", 3, "channels", 0]``). An event type without a rule notifies nobody
    (a department's: its global rule applies). Answers the rules now in force for the
    scope."""
    check_writer(caller, department)
    try:
        rules = validate_rules(items, department)
    except RuleError as exc:
        raise Invalid(
            "the rules are not valid",
            [{"loc": ["body", *loc], "msg": msg} for loc, msg in exc.errors],
        ) from exc
    before = await repo.load_own_rules(uow.session, department, for_update=True)
    await repo.save_rules(uow.session, rules, caller.id, uow.clock.now(), department)
    await audit.record(
        uow, caller.id, AUDIT_ENTITY, audit_id(department), rule_changes(before, rules)
    )
    forget_cached(uow)  # this process applies them from the next event on
    return rules if department is None else await repo.load_rules(uow.session, department)


async def rules_trail(
    session: AsyncSession,
    caller: Caller,
    department: str | None,
    *,
    limit: int,
    cursor: str | None,
) -> Page[audit.AuditOut]:
    """One page of the scope's trail, oldest first: a row per event type whose rule a
    replacement changed (old and new rule, null where there was none)."""
    check_trail_reader(caller, department)
    return await audit.trail(
        session, AUDIT_ENTITY, audit_id(department), limit=limit, cursor=cursor
    )
