"""Queries of the telephony integrations' call records: the clients a number may be a
contact of, the callback request a call answers, and the calls a caller may see (the
matched ones of their clients; the unmatched ones, which have no owner yet, by all staff)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.domain.calls import CALLBACK_STATUSES
from services.interactions.store.clients import in_scope
from services.interactions.store.models import Call, Request
from shared.auth import Caller
from shared.pagination import paginate
from shared.store import locked, one_or_404


async def open_callback(
    session: AsyncSession, client_id: uuid.UUID, number: str, before: datetime
) -> Request | None:
    """The oldest request still waiting for its first response that a missed call from
    ``number`` opened for the client by ``before`` (locked): the one a call to that number
    answers."""
    stmt = (
        select(Request)
        .join(Call, Call.request_id == Request.id)
        .where(
            Call.client_id == client_id,
            Call.number == number,
            Call.outcome == "missed",
            Request.status.in_(CALLBACK_STATUSES),
            Request.answered_at.is_(None),
            Request.opened_at <= before,
        )
        .order_by(Request.opened_at, Request.id)
        .limit(1)
    )
    return await session.scalar(locked(stmt, Request))


def scoped_calls(caller: Caller, matched: bool | None = None) -> Select[Any]:
    """The calls the caller may see: matched ones of their clients, and (no owner yet) every
    unmatched one; ``matched`` keeps one kind."""
    mine = Call.client_id.is_not(None) & in_scope(caller, Call.client_id)
    unmatched = Call.client_id.is_(None)
    if matched is None:
        return select(Call).where(or_(mine, unmatched))
    return select(Call).where(mine if matched else unmatched)


async def get_call(
    session: AsyncSession, caller: Caller, call_id: uuid.UUID, *, for_update: bool = False
) -> Call:
    stmt = scoped_calls(caller).where(Call.id == call_id)
    return await one_or_404(session, stmt, Call, "call", call_id, for_update=for_update)


async def calls_page(
    session: AsyncSession, stmt: Select[Any], *, limit: int, cursor: str | None
) -> tuple[list[Call], str | None]:
    """One page of ``stmt`` (``scoped_calls``), latest received first."""
    return await paginate(
        session, stmt, [Call.received_at, Call.id], limit=limit, cursor=cursor, desc=True
    )
