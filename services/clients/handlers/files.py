"""Use cases of documents (``/api/v1/files``): attach one to its owner, remove one.

The owner is a client (this service's), or an interaction, meeting report, contract or invoice
whose client the owning service names (``shared.owners``); the caller must see that client
(else 404, as for an owner that does not exist). The bytes go to the object store
(``shared.files``) before the row; the router removes the object when the unit of work does
not commit (``removed_unless_kept``), and a deleted document's object after the commit."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from services.clients.domain.files import (
    ProblemKind,
    UploadProblem,
    clean_filename,
    content_type_of,
    upload_problem,
)
from services.clients.settings import ClientsSettings
from services.clients.store import files as store
from services.clients.store import repository as repo
from services.clients.store.models import Client, StoredFile
from shared.auth import Caller, Role
from shared.errors import Invalid, NotFound, OrbitError
from shared.files import ObjectStore, file_id_of, object_key
from shared.kept_files import KeepRequest, Kept
from shared.owners import OWNING_SERVICE, OwnerLookup, OwnerType, unavailable
from shared.readthrough import SERVICE_SUBJECT
from shared.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("orbit.clients.files")


class TooLarge(OrbitError):
    status, title, slug = 413, "Content Too Large", "content-too-large"


class UnsupportedType(OrbitError):
    status, title, slug = 415, "Unsupported Media Type", "unsupported-media-type"


@dataclass(frozen=True)
class Upload:
    """A document as received: its owner, declared name and type, and bytes."""

    owner_type: OwnerType
    owner_id: uuid.UUID
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class CheckedUpload:
    upload: Upload
    filename: str
    content_type: str


_PROBLEMS: dict[ProblemKind, type[OrbitError]] = {"too_large": TooLarge, "type": UnsupportedType}


def checked_upload(settings: ClientsSettings, upload: Upload) -> CheckedUpload | UploadProblem:
    """The name and type the document is kept under, or what the limits say against it."""
    filename = clean_filename(upload.filename)
    content_type = content_type_of(upload.content_type, filename)
    problem = upload_problem(
        len(upload.data),
        content_type,
        max_bytes=settings.files_max_bytes,
        allowed=settings.files_allowed,
    )
    return problem or CheckedUpload(upload, filename, content_type)


def check_upload(settings: ClientsSettings, upload: Upload) -> CheckedUpload:
    """The name and type the document is kept under; 413 too large, 415 a type not accepted,
    422 empty."""
    checked = checked_upload(settings, upload)
    if isinstance(checked, UploadProblem):
        error = _PROBLEMS.get(checked.kind)
        if error is None:
            raise Invalid.field("file", checked.detail)
        raise error(checked.detail)
    return checked


async def owner_client(
    uow: UnitOfWork,
    caller: Caller,
    owners: Mapping[str, OwnerLookup],
    owner_type: OwnerType,
    owner_id: uuid.UUID,
) -> Client:
    """The client the owner belongs to, if the caller may see it; else 404 naming the owner
    (503 when the service keeping it cannot be asked)."""
    client_id: uuid.UUID | None = owner_id
    if owner_type != "client":
        lookup = owners.get(OWNING_SERVICE[owner_type])
        if lookup is None:
            raise unavailable(owner_type, owner_id)
        try:
            client_id = await lookup(owner_type, owner_id)
        except OrbitError:
            raise
        except Exception as exc:  # the other service's database, in this process
            raise unavailable(owner_type, owner_id) from exc
    if client_id is None:
        raise NotFound(f"{owner_type} {owner_id} not found")
    try:
        return await repo.get_client(uow.session, caller, client_id)
    except NotFound:
        raise NotFound(f"{owner_type} {owner_id} not found") from None


async def attach_file(
    uow: UnitOfWork,
    caller: Caller,
    owners: Mapping[str, OwnerLookup],
    objects: ObjectStore,
    checked: CheckedUpload,
    file_id: uuid.UUID,
    key: str,
) -> StoredFile:
    """Write the document's bytes under ``key``, then its row (of ``file_id``). Whoever sees
    the owner's client may (a ``service`` token sees none: 404)."""
    upload = checked.upload
    client = await owner_client(uow, caller, owners, upload.owner_type, upload.owner_id)
    await objects.put(key, upload.data, checked.content_type)
    stored = StoredFile(
        id=file_id,
        owner_type=upload.owner_type,
        owner_id=upload.owner_id,
        client_id=client.id,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        storage_key=key,
        uploaded_by=caller.id,
        created_at=uow.clock.now(),
    )
    uow.session.add(stored)
    await uow.session.flush()
    return stored


async def keep_file(
    uow_factory: UnitOfWorkFactory,
    settings: ClientsSettings,
    owners: Mapping[str, OwnerLookup],
    request: KeepRequest,
) -> Kept | None:
    """Keep a file another service hands over (``shared.kept_files``: an attachment of inbound
    mail) under the id it chose, once: a file of that id kept already is the answer (a retry);
    one the limits refuse is skipped (``Kept.skipped``); None when the owner is unknown. As
    the system (every client), its uploader the one the request names."""
    async with uow_factory() as uow:
        if await store.file_by_id(uow.session, request.file_id) is not None:
            return Kept(request.file_id)
    upload = Upload(
        request.owner_type, request.owner_id, request.filename, request.content_type, request.data
    )
    checked = checked_upload(settings, upload)
    if isinstance(checked, UploadProblem):
        return Kept(None, checked.kind, checked.detail)
    objects = settings.object_store()
    key = object_key(request.file_id)
    keeper = Caller(id=request.uploaded_by or SERVICE_SUBJECT, role=Role.ADMIN)
    try:
        async with uow_factory() as uow:
            await attach_file(uow, keeper, owners, objects, checked, request.file_id, key)
            await uow.commit()
    except NotFound:
        return None  # the owner: nothing was written
    except IntegrityError:
        # Kept by a concurrent hand-over meanwhile (committed: its row is why this failed),
        # the same bytes under the same key: its object stays.
        return Kept(request.file_id)
    except BaseException:
        async with uow_factory() as uow:
            if await store.file_by_id(uow.session, request.file_id) is None:
                await discard(objects, [key])
        raise
    return Kept(request.file_id)


async def delete_file(
    uow: UnitOfWork, caller: Caller, file_id: uuid.UUID, removed: list[str]
) -> None:
    """Remove the document's row; its object's key goes to ``removed`` (deleted from the store
    once the removal is committed)."""
    stored = await store.get_file(uow.session, caller, file_id, for_update=True)
    await uow.session.delete(stored)
    await uow.session.flush()
    removed.append(stored.storage_key)


async def discard(objects: ObjectStore, keys: list[str]) -> None:
    """Delete the objects of removed documents (one the store refuses now is left to the
    sweep: it has no row any more)."""
    for key in keys:
        try:
            await objects.delete(key)
        except Exception as exc:
            log.warning("could not delete %s (the sweep will): %r", key, exc)


async def sweep_orphans(
    uow_factory: UnitOfWorkFactory, objects: ObjectStore, before: datetime
) -> int:
    """Delete the objects written before ``before`` that no document row names (an upload
    cut short between its object and its row, a delete whose object stayed). Returns how
    many."""
    keys = await objects.keys_before(before)
    ids = {file_id_of(key): key for key in keys}
    ids.pop(None, None)
    async with uow_factory() as uow:
        kept = await store.known_ids(uow.session, [i for i in ids if i is not None])
    orphans = [key for file_id, key in ids.items() if file_id not in kept]
    await discard(objects, orphans)
    return len(orphans)
