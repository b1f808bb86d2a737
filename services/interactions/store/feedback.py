"""Queries of feedback (NPS and CSAT), in the caller's scope (``store/clients.py``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.clients import in_scope
from services.interactions.store.models import Feedback
from shared.auth import Caller
from shared.pagination import paginate
from shared.store import one_or_404


def filtered_feedback(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    kind: str | None = None,
    low: bool | None = None,
) -> Select[Any]:
    stmt = select(Feedback).where(in_scope(caller, Feedback.client_id))
    if client_id is not None:
        stmt = stmt.where(Feedback.client_id == client_id)
    if kind is not None:
        stmt = stmt.where(Feedback.kind == kind)
    if low is not None:
        stmt = stmt.where(Feedback.low.is_(low))
    return stmt


async def feedback_page(
    session: AsyncSession, stmt: Select[Any], *, limit: int, cursor: str | None
) -> tuple[list[Feedback], str | None]:
    """One page of ``stmt`` (``filtered_feedback``), newest first: received_at, id."""
    return await paginate(
        session, stmt, [Feedback.received_at, Feedback.id], limit=limit, cursor=cursor, desc=True
    )


async def get_feedback(
    session: AsyncSession, caller: Caller, feedback_id: uuid.UUID, *, for_update: bool = False
) -> Feedback:
    stmt = select(Feedback).where(Feedback.id == feedback_id, in_scope(caller, Feedback.client_id))
    return await one_or_404(session, stmt, Feedback, "feedback", feedback_id, for_update=for_update)
