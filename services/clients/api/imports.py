"""/api/v1/imports: a CSV or XLSX file of staff, clients, contacts, contracts or open
invoices, run in the background (``handlers/imports.py``; contracts and invoices by
billing, ``shared/imports.py``)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.clients.api.deps import CallerDep, RuntimeDep, SettingsDep
from services.clients.api.presenters import import_out, import_queued_out
from services.clients.api.schemas import ImportOut, ImportQueuedOut
from services.clients.api.uploads import read_table
from services.clients.domain.imports import BadFile, ImportKind, map_header, rows_of
from services.clients.handlers.imports import LIVE_PROGRESS, MAY_IMPORT, queue_import
from services.clients.store import imports as store
from shared.commands import run_command
from shared.errors import Invalid, OrbitError

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])


class TooLarge(OrbitError):
    status, title, slug = 413, "Content Too Large", "content-too-large"


def parse_mapping(text: str | None) -> dict[str, str | None]:
    """``{"file's column": "Orbit's column" | null}`` (null: the column is skipped)."""
    if not text or not text.strip():
        return {}
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadFile("mapping", f"not JSON: {exc.msg}") from None
    if not isinstance(value, dict) or not all(
        isinstance(v, str) or v is None for v in value.values()
    ):
        raise BadFile("mapping", 'a JSON object {"column in the file": "column" or null}')
    return value


class ImportForm(BaseModel):
    """The multipart form of ``POST /api/v1/imports``."""

    model_config = ConfigDict(extra="forbid")

    file: UploadFile = Field(description="a CSV (UTF-8) or XLSX file, header first")
    kind: ImportKind
    dry_run: bool = Field(default=False, description="check every row, write nothing")
    mapping: str | None = Field(
        default=None,
        description='JSON: {"column in the file": "column of the kind" or null to skip it}',
    )


@router.post("", status_code=202, response_model=ImportQueuedOut, operation_id="createImport")
async def create_import(
    form: Annotated[ImportForm, Form(media_type="multipart/form-data")],
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Queue an import (admins; heads for clients, contacts, contracts and invoices of their
    department): 202
    with its id, then ``GET /api/v1/imports/{id}`` for its status, progress and errors."""
    kind, file = form.kind, form.file
    caller.require(*MAY_IMPORT[kind])
    limit = settings.clients_import_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise TooLarge(f"The file is larger than {limit} bytes.")
    try:
        columns_of = parse_mapping(form.mapping)
        header, cells = await asyncio.to_thread(
            read_table, content, settings.clients_import_max_rows
        )
        rows = rows_of(map_header(kind, header, columns_of), cells)
    except BadFile as exc:
        raise Invalid.field(exc.field, str(exc)) from None
    response = await run_command(
        runtime.uow,
        lambda uow: queue_import(uow, caller, kind, form.dry_run, file.filename, rows),
        import_queued_out,
        caller_id=caller.id,
        status_code=202,
    )
    worker = getattr(runtime, "import_worker", None)
    if worker is not None:
        worker.wake()
    return response


@router.get("/{import_id}", response_model=ImportOut, operation_id="getImport")
async def get_import(import_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> ImportOut:
    """The import's status (queued, running, succeeded, failed), progress and errors (every
    bad row: row, column, reason). Its author's, or any for an admin."""
    async with runtime.reads() as session:
        found = await store.get_import(session, caller, import_id)
    return import_out(found, LIVE_PROGRESS.get(found.id))
