"""Use cases of the rules: everyone reads them, admins replace them."""

from __future__ import annotations

from typing import Any

from services.notifications.domain.rules import Rule, RuleError, validate_rules
from services.notifications.handlers.dispatch import forget_cached
from services.notifications.store import repository as repo
from shared.auth import Caller, Role
from shared.errors import Invalid
from shared.uow import UnitOfWork


async def replace_rules(uow: UnitOfWork, caller: Caller, items: Any) -> tuple[Rule, ...]:
    """Replace every rule with ``items`` (the PUT body); a bad item is a 422 naming it
    (``["body", 3, "channels", 0]``). An event type without a rule notifies nobody."""
    caller.require(Role.ADMIN)
    try:
        rules = validate_rules(items)
    except RuleError as exc:
        raise Invalid(
            "the rules are not valid",
            [{"loc": ["body", *loc], "msg": msg} for loc, msg in exc.errors],
        ) from exc
    await repo.save_rules(uow.session, rules, caller.id, uow.clock.now())
    forget_cached(uow)  # this process applies them from the next event on
    return rules
