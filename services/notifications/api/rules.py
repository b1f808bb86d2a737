"""/api/v1/rules: which event types notify whom, how, and when they escalate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import RootModel

from services.notifications.api.deps import CallerDep, RuntimeDep
from services.notifications.api.presenters import rules_out
from services.notifications.api.schemas import RuleIn, RuleOut
from services.notifications.domain.rules import Rule
from services.notifications.handlers import rules as use_cases
from services.notifications.store import repository as repo
from shared.commands import run_command

router = APIRouter(prefix="/api/v1/rules", tags=["rules"])


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
async def list_rules(caller: CallerDep, runtime: RuntimeDep) -> list[RuleOut]:
    """The rules in force (the contract's defaults until an admin saves others)."""
    async with runtime.reads() as session:
        return rules_out(await repo.load_rules(session))


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
    caller: CallerDep, runtime: RuntimeDep, body: Any = Body(...)
) -> JSONResponse:
    """Replace every rule (admins). Each bad item is named in the 422: unknown event type,
    recipient or channel, bad severity, an ``escalate_after`` that is no ISO 8601 duration, a
    recipient the event type does not name (``assignee``/``creator``: task events only;
    ``participants``/``organizer``: planned-meeting events only)."""
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.replace_rules(uow, caller, body),
        _present,
        caller_id=caller.id,
    )
