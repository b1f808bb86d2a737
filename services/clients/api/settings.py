"""/api/v1/settings: the policies in force, globally and per department, and their history."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from services.clients.api.deps import CallerDep, PoliciesDep, RuntimeDep
from services.clients.api.presenters import settings_out, settings_version_out
from services.clients.api.schemas import SettingsIn, SettingsOut, SettingsVersionOut
from services.clients.handlers import settings as use_cases
from shared.commands import run_command
from shared.errors import Invalid
from shared.inputs import Text
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1/settings", tags=["settings"])

Department = Annotated[
    Text | None,
    Query(
        min_length=1,
        max_length=200,
        description="a department's settings (its document over the global one); "
        "without it, the global settings",
    ),
]


def version_of(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"3"``, ``W/"3"`` or ``3``)."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise Invalid(
            "If-Match: the version of the settings read (their ETag)",
            [{"loc": ["header", "if-match"], "msg": "not a version (the settings' ETag)"}],
        )
    return int(text)


def with_etag(response: JSONResponse) -> JSONResponse:
    """The version written, as the response's ``ETag`` (the next ``If-Match``)."""
    if response.status_code == 200:
        response.headers["ETag"] = f'"{json.loads(bytes(response.body))["version"]}"'
    return response


@router.get("", response_model=SettingsOut, operation_id="getSettings")
async def get_settings(
    caller: CallerDep, runtime: RuntimeDep, policies: PoliciesDep, department: Department = None
) -> JSONResponse:
    """The values in force (admins: any scope; heads: the global values and their own
    department's), with the fields the scope's own document sets and its version (``ETag``)."""
    async with UnitOfWork(runtime.reads, runtime.clock) as uow:
        found = await use_cases.read_settings(uow, caller, department, policies)
    body = settings_out(found).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": f'"{found.version}"'})


@router.put("", response_model=SettingsOut, operation_id="putSettings")
async def put_settings(
    body: SettingsIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    policies: PoliciesDep,
    department: Department = None,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Replace the scope's document (admins: any scope; a head: their own department, within
    the ``bounds`` of the global settings). A field left out is inherited. ``If-Match`` with
    the version read: 409 when another change came first."""
    expected = version_of(if_match)
    response = await run_command(
        runtime.uow,
        lambda uow: use_cases.put_settings(uow, caller, department, body, policies, expected),
        settings_out,
        caller_id=caller.id,
    )
    return with_etag(response)


@router.get("/history", response_model=Page[SettingsVersionOut], operation_id="listSettingsHistory")
async def settings_history(
    caller: CallerDep,
    runtime: RuntimeDep,
    department: Department = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[SettingsVersionOut]:
    """The scope's stored versions, newest first, each with its author and time."""
    async with runtime.reads() as session:
        items, next_cursor = await use_cases.history_page(
            session, caller, department, limit=limit, cursor=cursor
        )
    return page_of(items, next_cursor, settings_version_out)
