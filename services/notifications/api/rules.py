"""/api/v1/rules: which event types notify whom, how, and when they escalate; globally and,
over the global ones, per department (``?department=``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import RootModel

from services.notifications.api.deps import CallerDep, RuntimeDep
from services.notifications.api.presenters import rules_out
from services.notifications.api.schemas import RuleIn, RuleOut
from services.notifications.domain.rules import Rule
from services.notifications.handlers import rules as use_cases
from shared.audit import AuditOut
from shared.commands import run_command
from shared.inputs import Text
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])

Department = Annotated[
    Text | None,
    Query(
        min_length=1,
        max_length=200,
        description="a department's rules: its own (``department`` set) over the global ones "
        "for the events of its clients; without it, the global rules",
    ),
]


class RulesOut(RootModel[list[RuleOut]]):
    pass


def _present(rules: tuple[Rule, ...]) -> RulesOut:
    return RulesOut(rules_out(rules))


@router.get(
    "",
    response_model=list[RuleOut],
    operation_id="listRules",
    # the shared problem set of every operation (a malformed query string)
    responses={422: {"description": "Invalid request"}},
)
async def list_rules(
    caller: CallerDep, runtime: RuntimeDep, department: Department = None
) -> list[RuleOut]:
    """The rules in force (the contract's defaults until an admin saves others); with
    ``department``, those of its clients' events: its own rules, and the global rule of each
    event type it sets none for (its staff and admins; 403 otherwise)."""
    async with runtime.reads() as session:
        return rules_out(await use_cases.read_rules(session, caller, department))


@router.put(
    "",
    response_model=list[RuleOut],
    operation_id="replaceRules",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": RuleIn.model_json_schema()}
                }
            },
        }
    },
)
async def replace_rules(
    caller: CallerDep, runtime: RuntimeDep, body: Any = Body(...), department: Department = None
) -> JSONResponse:
    """Replace every rule (admins), or with ``department`` that department's own rules (its
    head, or admins; 403 otherwise): they replace the global rule of their event types, or add
    one, for the events of its clients; answers the rules then in force for the department.
    Each bad item is named in the 422: unknown event type, recipient or channel, bad
    severity, an ``escalate_after`` that is no ISO 8601 duration, a recipient the event type
    does not name (``assignee``/``creator``: task events only; ``participants``/``organizer``:
    planned-meeting events only), a ``department`` other than the query's."""
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.replace_rules(uow, caller, body, department),
        _present,
        caller_id=caller.id,
    )


@router.get("/audit", response_model=Page[AuditOut], operation_id="listRulesAudit")
async def list_rules_audit(
    caller: CallerDep,
    runtime: RuntimeDep,
    department: Department = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AuditOut]:
    """Every replacement of the rules (with ``department``, that department's own), oldest
    first: a row per event type whose rule changed (``field``: the event type; ``old`` and
    ``new``: its recipients, channels, severity and ``escalate_after``, null where there was
    no rule), who, when, request id. Admins every scope; a head the global rules and their own
    department's (403 otherwise); see docs/architecture.md, "Audit trail"."""
    async with runtime.reads() as session:
        return await use_cases.rules_trail(session, caller, department, limit=limit, cursor=cursor)
