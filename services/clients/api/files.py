"""/api/v1/files: documents attached to a client, an interaction, a meeting report, a contract
or an invoice, within the caller's scope (the owner's client); their bytes in the object store
(``shared.files``), handed out through short-lived links."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, cast

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from services.clients.api.deps import CallerDep, RuntimeDep, SettingsDep
from services.clients.api.presenters import file_link_out, file_out
from services.clients.api.schemas import FileLinkOut, FileOut
from services.clients.handlers import files as use_cases
from services.clients.settings import ClientsSettings
from services.clients.store import files as store
from shared.commands import execute, run_command
from shared.deps import require_service
from shared.errors import Forbidden, NotFound
from shared.files import (
    content_disposition,
    link_is_valid,
    object_key,
    removed_unless_kept,
    sign_link,
)
from shared.kept_files import KEEP_PATH, FileKeep, KeepRequest, Kept
from shared.owners import OwnerType
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1/files", tags=["files"])
PATH = "/api/v1/files"


@router.post(
    "",
    response_model=FileOut,
    status_code=201,
    operation_id="uploadFile",
)
async def upload_file(
    owner_type: Annotated[OwnerType, Form(description="What the document is attached to.")],
    owner_id: Annotated[uuid.UUID, Form()],
    file: Annotated[UploadFile, File(description="The document (multipart/form-data).")],
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Attach a document (``ORBIT_FILES_MAX_BYTES``: 413 above; ``ORBIT_FILES_ALLOWED_TYPES``:
    415 otherwise; the type is the part's ``Content-Type``, or the name's extension when that
    is missing or generic). 404 when the owner does not exist or is out of the caller's
    scope; 503 when the service keeping it cannot be asked."""
    data = await file.read(settings.files_max_bytes + 1)
    checked = use_cases.check_upload(
        settings,
        use_cases.Upload(owner_type, owner_id, file.filename, file.content_type, data),
    )
    objects = settings.object_store()
    file_id = uuid.uuid4()
    key = object_key(file_id)
    async with removed_unless_kept(objects, key):
        return await run_command(
            runtime.uow,
            lambda uow: use_cases.attach_file(
                uow, caller, runtime.owner_lookups, objects, checked, file_id, key
            ),
            file_out,
            caller_id=caller.id,
            status_code=201,
        )


@router.get("", response_model=Page[FileOut], operation_id="listFiles")
async def list_files(
    caller: CallerDep,
    runtime: RuntimeDep,
    owner_type: OwnerType | None = None,
    owner_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[FileOut]:
    """The documents of the clients the caller may see, of one owner when given, oldest
    first."""
    async with runtime.reads() as session:
        items, next_cursor = await store.files_page(
            session, caller, owner_type=owner_type, owner_id=owner_id, limit=limit, cursor=cursor
        )
    return page_of(items, next_cursor, file_out)


@router.get("/{file_id}", response_model=FileLinkOut, operation_id="getFile")
async def get_file(
    file_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep, settings: SettingsDep
) -> FileLinkOut:
    """The document's metadata and ``download_url``, valid ``ORBIT_FILES_LINK_SECONDS``."""
    async with runtime.reads() as session:
        stored = await store.get_file(session, caller, file_id)
    seconds = settings.files_link_seconds
    expires_at = (runtime.clock.now() + timedelta(seconds=seconds)).replace(microsecond=0)
    url = await settings.object_store().presigned_url(
        stored.storage_key, stored.filename, stored.content_type, seconds
    )
    if url is None:
        expires = int(expires_at.timestamp())
        token = sign_link(settings.files_signing_key, stored.id, expires)
        url = f"{PATH}/{stored.id}/content?expires={expires}&token={token}"
    return file_link_out(stored, url, expires_at)


@router.get(
    "/{file_id}/content",
    response_class=Response,
    operation_id="downloadFile",
    responses={
        200: {"content": {"application/octet-stream": {}}},
        403: {"description": "The link is not valid or has expired."},
    },
)
async def download_file(
    file_id: uuid.UUID,
    runtime: RuntimeDep,
    settings: SettingsDep,
    expires: Annotated[int, Query(ge=0, le=2**40)],
    token: Annotated[str, Query(max_length=100)],
) -> Response:
    """The document's bytes by the signed link ``GET /api/v1/files/{id}`` gave (no bearer:
    the link is the credential); 403 when it is not valid or has expired."""
    if not link_is_valid(settings.files_signing_key, file_id, expires, token, runtime.clock.now()):
        raise Forbidden("the download link is not valid or has expired")
    async with runtime.reads() as session:
        stored = await store.file_by_id(session, file_id)
    data = None if stored is None else await settings.object_store().get(stored.storage_key)
    if stored is None or data is None:
        raise NotFound(f"file {file_id} not found")
    return Response(
        data,
        media_type=stored.content_type,
        headers={
            "Content-Disposition": content_disposition(stored.filename),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.delete("/{file_id}", status_code=204, response_class=Response, operation_id="deleteFile")
async def delete_file(
    file_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep, settings: SettingsDep
) -> Response:
    """Remove the document: its row, then its bytes (left over if the store fails then: the
    ``files_sweep`` job removes them)."""
    removed: list[str] = []
    await execute(runtime.uow, lambda uow: use_cases.delete_file(uow, caller, file_id, removed))
    await use_cases.discard(settings.object_store(), removed)
    return Response(status_code=204)


# ---------------------------------------------------------------- kept for other services

internal = APIRouter(prefix=KEEP_PATH, include_in_schema=False)


@internal.post("")
async def keep_file(
    file_id: Annotated[uuid.UUID, Form()],
    owner_type: Annotated[OwnerType, Form()],
    owner_id: Annotated[uuid.UUID, Form()],
    file: Annotated[UploadFile, File()],
    request: Request,
    runtime: RuntimeDep,
    settings: SettingsDep,
    uploaded_by: Annotated[uuid.UUID | None, Form()] = None,
) -> dict[str, str | None]:
    """A file another service hands over to keep under the id it chose (``shared.kept_files``:
    an attachment of inbound mail), once; ``{"file_id", "skipped", "detail"}``, 404 when the
    owner is unknown. A ``service`` token only."""
    await require_service(request, runtime)
    kept = await use_cases.keep_file(
        runtime.uow,
        settings,
        runtime.owner_lookups,
        KeepRequest(
            file_id,
            owner_type,
            owner_id,
            file.filename or "",
            file.content_type or "",
            await file.read(settings.files_max_bytes + 1),
            uploaded_by,
        ),
    )
    if kept is None:
        raise NotFound(f"{owner_type} {owner_id} not found")
    return {
        "file_id": None if kept.file_id is None else str(kept.file_id),
        "skipped": kept.skipped,
        "detail": kept.detail,
    }


def keeper(runtime: ServiceRuntime) -> FileKeep:
    """``ServiceSpec.keeps_files``: the keeping of the running service (``orbit run``)."""

    async def keep(request: KeepRequest) -> Kept | None:
        return await use_cases.keep_file(
            runtime.uow, cast(ClientsSettings, runtime.settings), runtime.owner_lookups, request
        )

    return keep
