"""Queries of planned meetings: those of the clients the caller may see
(``store/clients.py``) and those the caller takes part in as staff; locks as in
``store/interactions.py`` (``shared.store.locked``: FOR NO KEY UPDATE)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.clients import in_scope
from services.interactions.store.models import (
    MEETING_SORTS,
    PlannedMeeting,
    PlannedMeetingParticipant,
)
from shared.auth import Caller
from shared.errors import NotFound
from shared.store import one_or_404

SORTS = MEETING_SORTS  # the list's ``?sort=`` (declared beside the table)


def meeting_scope(caller: Caller) -> ColumnElement[bool]:
    """Meetings of the clients the caller may see, and those the caller is invited to (a
    specialist from another team sees the meetings they are asked to attend)."""
    invited = select(PlannedMeetingParticipant.meeting_id).where(
        PlannedMeetingParticipant.participant_id == caller.id,
        PlannedMeetingParticipant.kind == "staff",
    )
    return or_(in_scope(caller, PlannedMeeting.client_id), PlannedMeeting.id.in_(invited))


async def get_meeting(
    session: AsyncSession, caller: Caller, meeting_id: uuid.UUID, *, for_update: bool = False
) -> PlannedMeeting:
    stmt = select(PlannedMeeting).where(PlannedMeeting.id == meeting_id, meeting_scope(caller))
    return await one_or_404(
        session, stmt, PlannedMeeting, "meeting", meeting_id, for_update=for_update
    )


async def meeting_client_id(
    session: AsyncSession, caller: Caller, meeting_id: uuid.UUID
) -> uuid.UUID:
    found = await session.scalar(
        select(PlannedMeeting.client_id).where(
            PlannedMeeting.id == meeting_id, meeting_scope(caller)
        )
    )
    if found is None:
        raise NotFound(f"meeting {meeting_id} not found")
    return cast(uuid.UUID, found)


def filtered_meetings(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
) -> Select[Any]:
    """Meetings the caller may see; ``since``/``until``: those starting in [since, until)."""
    stmt = select(PlannedMeeting).where(meeting_scope(caller))
    if client_id is not None:
        stmt = stmt.where(PlannedMeeting.client_id == client_id)
    if since is not None:
        stmt = stmt.where(PlannedMeeting.starts_at >= since)
    if until is not None:
        stmt = stmt.where(PlannedMeeting.starts_at < until)
    if status is not None:
        stmt = stmt.where(PlannedMeeting.status == status)
    return stmt


def participants(meeting: PlannedMeeting) -> list[PlannedMeetingParticipant]:
    """The participant rows of a new meeting: its contacts and its staff."""
    return [
        PlannedMeetingParticipant(meeting_id=meeting.id, kind=kind, participant_id=uuid.UUID(p))
        for kind, people in (("contact", meeting.contact_ids), ("staff", meeting.staff_ids))
        for p in people
    ]
