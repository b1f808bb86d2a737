"""/internal/v1/imports: the rows of the contracts and open invoices the clients service
imports (``POST /api/v1/imports``), run here (``handlers/imports.py``, ``shared.imports``).

Internal (left out of the OpenAPI document and of the gateway): a ``service`` (or admin)
token only; the import's author, in the body, is the caller the rows run as."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.billing.api.deps import RuntimeDep
from services.billing.handlers.imports import import_rows
from services.billing.settings import BillingSettings
from shared.deps import require_service
from shared.imports import ImportRun
from shared.runtime import ServiceRuntime


async def services_only(request: Request, runtime: RuntimeDep) -> None:
    """Checked before the body is read: a caller without a service token learns nothing."""
    await require_service(request, runtime)


router = APIRouter(
    prefix="/internal/v1/imports",
    include_in_schema=False,
    dependencies=[Depends(services_only)],
)


class ImportCaller(BaseModel):
    id: uuid.UUID
    role: str
    department: str | None = None


class ImportRow(BaseModel):
    row: int = Field(ge=1)
    client_id: uuid.UUID
    cells: dict[str, str]


class ImportRequest(BaseModel):
    """``shared.imports``: who imports, dry or not, the rows with their clients."""

    model_config = ConfigDict(extra="forbid")

    caller: ImportCaller
    dry_run: bool = False
    rows: list[ImportRow] = Field(max_length=100_000)


def import_run(runtime: ServiceRuntime) -> ImportRun:
    """The clients service's run when it is in this process (``orbit run``)."""

    async def run(kind: str, request: dict[str, Any]) -> dict[str, Any]:
        settings = runtime.settings
        assert isinstance(settings, BillingSettings)
        return await import_rows(runtime.uow, settings, kind, request)

    return run


@router.post("/{kind}")
async def run_import(
    kind: Literal["contracts", "invoices"],
    body: ImportRequest,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    return await import_run(runtime)(kind, body.model_dump(mode="json"))
