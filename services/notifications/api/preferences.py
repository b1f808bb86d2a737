"""/api/v1/preferences: the caller's own channels, quiet hours and digest."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.notifications.api.deps import CallerDep, RuntimeDep
from services.notifications.api.presenters import preferences_out
from services.notifications.api.schemas import PreferencesOut
from services.notifications.commands import PreferencesIn
from services.notifications.handlers import preferences as use_cases
from services.notifications.store import repository as repo
from shared.commands import run_command

router = APIRouter(prefix="/api/v1/preferences", tags=["preferences"])


@router.get(
    "",
    response_model=PreferencesOut,
    operation_id="getPreferences",
    # the shared problem set of every operation (a malformed query string)
    responses={422: {"description": "Invalid request"}},
)
async def get_preferences(caller: CallerDep, runtime: RuntimeDep) -> PreferencesOut:
    async with runtime.reads() as session:
        row = await repo.preference_of(session, caller.id)
    return preferences_out(use_cases.preferences_of(row))


@router.put("", response_model=PreferencesOut, operation_id="replacePreferences")
async def replace_preferences(
    body: PreferencesIn, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.replace_preferences(uow, caller, body),
        preferences_out,
        caller_id=caller.id,
    )
