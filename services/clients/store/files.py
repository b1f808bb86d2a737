"""Queries of documents (``/api/v1/files``), scoped through the client each belongs to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.store.models import Client, StoredFile
from services.clients.store.repository import client_scope
from shared.auth import Caller
from shared.pagination import paginate
from shared.store import one_or_404


def scoped_files(caller: Caller) -> Select[Any]:
    """Documents of the clients the caller may see."""
    return (
        select(StoredFile)
        .join(Client, Client.id == StoredFile.client_id)
        .where(client_scope(caller))
    )


async def get_file(
    session: AsyncSession, caller: Caller, file_id: uuid.UUID, *, for_update: bool = False
) -> StoredFile:
    """The document if the caller may see its client, else 404."""
    stmt = scoped_files(caller).where(StoredFile.id == file_id)
    return await one_or_404(session, stmt, StoredFile, "file", file_id, for_update=for_update)


async def file_by_id(session: AsyncSession, file_id: uuid.UUID) -> StoredFile | None:
    """The document, unscoped: for a signed download link (the link is the credential)."""
    return await session.get(StoredFile, file_id)


async def files_page(
    session: AsyncSession,
    caller: Caller,
    *,
    owner_type: str | None,
    owner_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[StoredFile], str | None]:
    """One page of the documents the caller may see, of one owner when given, oldest first
    (``ix_files_owner``)."""
    stmt = scoped_files(caller)
    if owner_type is not None:
        stmt = stmt.where(StoredFile.owner_type == owner_type)
    if owner_id is not None:
        stmt = stmt.where(StoredFile.owner_id == owner_id)
    return await paginate(
        session, stmt, [StoredFile.created_at, StoredFile.id], limit=limit, cursor=cursor
    )


async def known_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``ids`` are documents (the sweep keeps their objects)."""
    if not ids:
        return set()
    found = await session.scalars(select(StoredFile.id).where(StoredFile.id.in_(list(ids))))
    return set(found.all())
