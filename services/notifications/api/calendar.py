"""``/api/v1/calendar/feeds``: a member of staff's iCalendar feed, for calendar apps (which
cannot send a bearer token): ``POST`` (bearer) gives a feed URL whose token is the credential,
``GET /api/v1/calendar/feeds/{token}.ics`` serves it (``text/calendar``), ``DELETE
/api/v1/calendar/feeds/{id}`` revokes it (then 404)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from pydantic import BaseModel

from services.notifications.api.deps import CallerDep, RuntimeDep
from services.notifications.domain.calendar_feed import MEDIA_TYPE
from services.notifications.handlers import calendar as use_cases
from shared.commands import execute, run_command

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


class CalendarFeedOut(BaseModel):
    """A new feed: ``url`` (relative to the API's origin) holds its token, shown only now."""

    id: uuid.UUID
    url: str


def feed_out(feed: use_cases.NewFeed) -> CalendarFeedOut:
    return CalendarFeedOut(id=feed.id, url=feed.url)


@router.post(
    "/feeds", status_code=201, response_model=CalendarFeedOut, operation_id="createCalendarFeed"
)
async def create_feed(caller: CallerDep, runtime: RuntimeDep, response: Response) -> Response:
    """A new feed of the caller's calendar: the meetings they take part in, their tasks'
    deadlines, and of their clients the promised answers, contract ends, invoice due dates
    and contacts' birthdays. Each call makes another feed (one per calendar app, each
    revocable)."""
    created = await run_command(
        runtime.uow,
        lambda uow: use_cases.create_feed(uow, caller),
        feed_out,
        caller_id=caller.id,
        status_code=201,
    )
    created.headers["Cache-Control"] = "no-store"
    return created


@router.delete("/feeds/{feed_id}", status_code=204, operation_id="deleteCalendarFeed")
async def delete_feed(feed_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> Response:
    """Revoke one of the caller's feeds: its URL answers 404 from now on."""
    await execute(runtime.uow, lambda uow: use_cases.revoke_feed(uow, caller, feed_id))
    return Response(status_code=204)


@router.get(
    "/feeds/{token}.ics",
    operation_id="getCalendarFeed",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {"schema": {"type": "string"}}}, "description": "iCalendar"},
    },
)
async def calendar_feed(token: str, runtime: RuntimeDep) -> Response:
    """The feed (no bearer token: the token in the URL is the credential)."""
    async with runtime.reads() as session:
        body = await use_cases.feed_calendar(session, token, runtime.clock.now())
    return Response(
        body,
        media_type=MEDIA_TYPE,
        headers={"Cache-Control": "private, max-age=300"},
    )
