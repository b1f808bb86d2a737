"""Queries of inbound requests, in the caller's scope (``store/clients.py``); locks as in
``store/interactions.py`` (``shared.store.locked``: FOR NO KEY UPDATE)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.clients import in_scope
from services.interactions.store.models import REQUEST_SORTS, Request
from shared.auth import Caller
from shared.store import locked, one_or_404

SORTS = REQUEST_SORTS  # the list's ``?sort=`` (declared beside the table)


def scoped_requests(caller: Caller) -> Select[Any]:
    return select(Request).where(in_scope(caller, Request.client_id, Request.account_manager_id))


async def get_request(
    session: AsyncSession, caller: Caller, request_id: uuid.UUID, *, for_update: bool = False
) -> Request:
    stmt = scoped_requests(caller).where(Request.id == request_id)
    return await one_or_404(session, stmt, Request, "request", request_id, for_update=for_update)


async def request_of_interaction(
    session: AsyncSession, interaction_id: uuid.UUID, *, for_update: bool = False
) -> Request | None:
    stmt = select(Request).where(Request.interaction_id == interaction_id)
    return await session.scalar(locked(stmt, Request) if for_update else stmt)


def filtered_requests(
    caller: Caller,
    now: datetime,
    *,
    status: str | None = None,
    client_id: uuid.UUID | None = None,
    account_manager_id: uuid.UUID | None = None,
    opened_from: datetime | None = None,
    opened_until: datetime | None = None,
) -> Select[Any]:
    """Requests the caller may see. ``status`` as readers see it: an open request past its
    due date is ``breached`` even before the scan recorded it; opened from ``opened_from``
    (inclusive) until ``opened_until`` (exclusive)."""
    stmt = scoped_requests(caller)
    if opened_from is not None:
        stmt = stmt.where(Request.opened_at >= opened_from)
    if opened_until is not None:
        stmt = stmt.where(Request.opened_at < opened_until)
    if status == "open":
        stmt = stmt.where(Request.status == "open", Request.due_at > now)
    elif status == "breached":
        stmt = stmt.where(
            or_(Request.status == "breached", and_(Request.status == "open", Request.due_at <= now))
        )
    elif status is not None:
        stmt = stmt.where(Request.status == status)
    if client_id is not None:
        stmt = stmt.where(Request.client_id == client_id)
    if account_manager_id is not None:
        stmt = stmt.where(Request.account_manager_id == account_manager_id)
    return stmt
