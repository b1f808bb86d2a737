"""Files another service hands to the clients service to keep (``/api/v1/files``): the
attachments of inbound mail, kept as documents of the interaction the mail was logged as.

The sender chooses the file's id (deterministic: the same attachment handed again is the same
file, kept once) and its owner; the clients service checks the files' size and type limits
(``ORBIT_FILES_MAX_BYTES``, ``ORBIT_FILES_ALLOWED_TYPES``) and answers what it did:
:class:`Kept` with ``file_id`` when the file is kept (now or before), with ``skipped`` (the
limit's kind, ``too_large`` / ``type`` / ``empty``) when it is not, or None when it does not
know the owner.

The keeper is the clients service's runtime in this process (``orbit run``:
``ServiceSpec.keeps_files``, linked by ``shared.app``) or its internal endpoint
``POST /internal/v1/files`` (:data:`KEEP_PATH`) at ``ORBIT_CLIENTS_URL`` (``orbit serve``:
:func:`http_keeper`, with a ``service`` token and ``ORBIT_OWNER_TIMEOUT_SECONDS`` plus a
second per MB handed over). A keeper
that cannot answer is :class:`FilesUnavailable`: the sender tries again later."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from shared.owners import OwnerType
from shared.readthrough import InternalClient
from shared.settings import OrbitSettings

KEEP_PATH = "/internal/v1/files"
# The slowest hand-over waited for: a file of 25 MB may take 25 s more than a lookup.
MIN_BYTES_PER_SECOND = 1_000_000
# Why a file was not kept: the files' limits (services/clients/domain/files.py).
SkipReason = Literal["too_large", "type", "empty"]
SKIP_REASONS: tuple[SkipReason, ...] = ("too_large", "type", "empty")


@dataclass(frozen=True)
class KeepRequest:
    file_id: uuid.UUID
    owner_type: OwnerType
    owner_id: uuid.UUID
    filename: str
    content_type: str
    data: bytes
    uploaded_by: uuid.UUID | None = None


@dataclass(frozen=True)
class Kept:
    file_id: uuid.UUID | None  # None when skipped
    skipped: SkipReason | None = None
    detail: str | None = None


class FilesUnavailable(Exception):
    """The clients service did not answer (unreachable, timed out, failing): try again later."""


# Keep one file; None when the keeper does not know the owner. Raises FilesUnavailable.
FileKeep = Callable[[KeepRequest], Awaitable[Kept | None]]


def http_keeper(settings: OrbitSettings) -> tuple[FileKeep, Callable[[], Awaitable[None]]]:
    """The keeping by the clients service at ``ORBIT_CLIENTS_URL``, and its closing."""
    assert settings.clients_url
    client = InternalClient(settings, settings.clients_url)

    async def keep(request: KeepRequest) -> Kept | None:
        fields = {
            "file_id": str(request.file_id),
            "owner_type": request.owner_type,
            "owner_id": str(request.owner_id),
        }
        if request.uploaded_by is not None:
            fields["uploaded_by"] = str(request.uploaded_by)
        response = await client.post(
            KEEP_PATH,
            lambda why: FilesUnavailable(f"file {request.file_id}: {why}"),
            data=fields,
            files={"file": (request.filename, request.data, request.content_type)},
            # the read-through's timeout, plus the transfer at MIN_BYTES_PER_SECOND
            timeout=settings.owner_timeout_seconds + len(request.data) / MIN_BYTES_PER_SECOND,
        )
        if response is None:
            return None
        answer = response.json()
        kept = answer.get("file_id")
        return Kept(uuid.UUID(kept) if kept else None, answer.get("skipped"), answer.get("detail"))

    return keep, client.aclose
