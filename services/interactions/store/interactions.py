"""Queries of interactions and their meeting reports, in the caller's scope
(``store/clients.py``).

Locks: a use case locks the row it changes with ``shared.store.locked``: FOR NO KEY UPDATE,
on purpose rather than FOR UPDATE. Both serialise the use cases that change the row (each
mode conflicts with itself), but FOR NO KEY UPDATE lets another transaction insert a row
whose foreign key points at the locked one (a meeting report, a request or a task of the
interaction: PostgreSQL checks the key with FOR KEY SHARE), which FOR UPDATE would block,
inviting deadlocks. No use case changes a key. The scans' FOR UPDATE SKIP LOCKED
(``workers.py``) still passes by a row a use case holds.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.clients import in_scope
from services.interactions.store.models import INTERACTION_SORTS, Interaction, MeetingReport
from shared.auth import Caller
from shared.store import locked, one_or_404

SORTS = INTERACTION_SORTS  # the list's ``?sort=`` (declared beside the table)


def scoped_interactions(caller: Caller) -> Select[Any]:
    return select(Interaction).where(
        in_scope(caller, Interaction.client_id, Interaction.account_manager_id)
    )


async def get_interaction(
    session: AsyncSession, caller: Caller, interaction_id: uuid.UUID, *, for_update: bool = False
) -> Interaction:
    stmt = scoped_interactions(caller).where(Interaction.id == interaction_id)
    return await one_or_404(
        session, stmt, Interaction, "interaction", interaction_id, for_update=for_update
    )


async def find_interaction(
    session: AsyncSession, caller: Caller, interaction_id: uuid.UUID
) -> Interaction | None:
    return await session.scalar(scoped_interactions(caller).where(Interaction.id == interaction_id))


def filtered_interactions(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    type: str | None = None,
    direction: str | None = None,
    author_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    stmt = scoped_interactions(caller)
    if client_id is not None:
        stmt = stmt.where(Interaction.client_id == client_id)
    if type is not None:
        stmt = stmt.where(Interaction.type == type)
    if direction is not None:
        stmt = stmt.where(Interaction.direction == direction)
    if author_id is not None:
        stmt = stmt.where(Interaction.author_id == author_id)
    if since is not None:
        stmt = stmt.where(Interaction.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(Interaction.occurred_at < until)
    return stmt


async def get_report(
    session: AsyncSession, interaction_id: uuid.UUID, *, for_update: bool = False
) -> MeetingReport | None:
    stmt = select(MeetingReport).where(MeetingReport.interaction_id == interaction_id)
    return await session.scalar(locked(stmt, MeetingReport) if for_update else stmt)
