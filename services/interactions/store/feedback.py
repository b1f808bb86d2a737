"""Queries of feedback (NPS and CSAT), in the caller's scope (``store/clients.py``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.clients import in_scope
from services.interactions.store.models import FEEDBACK_SORTS, Feedback
from shared.auth import Caller
from shared.store import one_or_404

SORTS = FEEDBACK_SORTS  # the list's ``?sort=`` (declared beside the table)


def filtered_feedback(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    kind: str | None = None,
    low: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    """Feedback the caller may see, received from ``since`` (inclusive) until ``until``
    (exclusive)."""
    stmt = select(Feedback).where(in_scope(caller, Feedback.client_id, Feedback.account_manager_id))
    if since is not None:
        stmt = stmt.where(Feedback.received_at >= since)
    if until is not None:
        stmt = stmt.where(Feedback.received_at < until)
    if client_id is not None:
        stmt = stmt.where(Feedback.client_id == client_id)
    if kind is not None:
        stmt = stmt.where(Feedback.kind == kind)
    if low is not None:
        stmt = stmt.where(Feedback.low.is_(low))
    return stmt


async def get_feedback(
    session: AsyncSession, caller: Caller, feedback_id: uuid.UUID, *, for_update: bool = False
) -> Feedback:
    stmt = select(Feedback).where(
        Feedback.id == feedback_id,
        in_scope(caller, Feedback.client_id, Feedback.account_manager_id),
    )
    return await one_or_404(session, stmt, Feedback, "feedback", feedback_id, for_update=for_update)
