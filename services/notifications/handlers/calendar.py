"""The staff's calendar feeds: a feed is created by a bearer-authenticated member of staff
and read by a calendar app with its token alone (calendar apps send no ``Authorization``).

The token is random (``domain.tickets.new_ticket``); only its SHA-256 is stored. Revoked,
unknown, or owned by a member of staff who is no longer active: 404. The feed is the owner's
scope as of each read (their role and department from the staff replica): a reassigned client
leaves it at the next refresh.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.calendar_feed import build_calendar
from services.notifications.domain.tickets import new_ticket, ticket_digest
from services.notifications.store import timeline as store
from shared.auth import Caller, Role
from shared.errors import NotFound
from shared.replicas import load_replica_staff
from shared.uow import UnitOfWork

FEED_PATH = "/api/v1/calendar/feeds/{token}.ics"
# What a feed holds: dated things from this long ago on (recurring birthdays always), and at
# most this many of them (a department's worth).
FEED_PAST = timedelta(days=60)
FEED_LIMIT = 5000


@dataclass(frozen=True)
class NewFeed:
    id: uuid.UUID
    url: str


async def create_feed(uow: UnitOfWork, caller: Caller) -> NewFeed:
    """A new feed of the caller's calendar (staff only: a service token has no calendar)."""
    caller.require(Role.ADMIN, Role.HEAD, Role.MANAGER)
    token, feed_id = new_ticket(), uuid.uuid4()
    await store.add_feed(uow.session, feed_id, caller.id, ticket_digest(token), uow.clock.now())
    return NewFeed(feed_id, FEED_PATH.format(token=token))


async def revoke_feed(uow: UnitOfWork, caller: Caller, feed_id: uuid.UUID) -> None:
    """Revoke one of the caller's own feeds (anyone else's, or a revoked one: 404)."""
    if not await store.revoke_feed(uow.session, feed_id, caller.id, uow.clock.now()):
        raise NotFound(f"calendar feed {feed_id} not found")


async def feed_calendar(session: AsyncSession, token: str, now: datetime) -> bytes:
    """The ``text/calendar`` of the feed with this token."""
    missing = NotFound("calendar feed not found (unknown or revoked)")
    owner_id = await store.feed_owner(session, ticket_digest(token))
    if owner_id is None:
        raise missing
    staff = await load_replica_staff(session, owner_id)
    if staff is None or not staff.active or staff.role in (Role.SERVICE, Role.INTEGRATION):
        raise missing
    owner = Caller(id=staff.id, role=Role(staff.role), department=staff.department)
    since = now - FEED_PAST
    rows = await store.calendar_rows(session, owner, since, since.date(), FEED_LIMIT)
    return build_calendar((dict(r._mapping) for r in rows), now, "Orbit")
