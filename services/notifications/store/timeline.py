"""The tables of the client-at-a-glance read models and their queries: the timeline's
entries, the current state of each client's dated things (requests, tasks, meetings,
contracts, invoices, contacts' birthdays, feedback scores) with the staff of each meeting,
each client's last contact, and the staff's calendar feeds.

Every table but ``calendar_feeds`` is a projection of the events: emptied and filled again by
``orbit timeline rebuild`` (:data:`TIMELINE_TABLES`). The reads are scoped by the caller's
client scope (``shared.replicas.client_scope``), as every query of the service.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    delete,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.timeline import (
    OPEN_INVOICE_STATUSES,
    OPEN_REQUEST_STATUSES,
    Entry,
    Item,
    last_contact,
)
from services.notifications.store.models import Notification
from shared.auth import Caller
from shared.db import JSONType, Money, UTCDateTime, insert_ignore, upsert
from shared.pagination import decode_cursor, encode_cursor
from shared.replicas import client_replica, client_scope

timeline_metadata = MetaData()

timeline_entries = Table(
    "timeline_entries",
    timeline_metadata,
    Column("key", Uuid, primary_key=True),  # domain.timeline.Entry.key
    Column("client_id", Uuid, nullable=False),
    Column("type", String(20), nullable=False),
    Column("entity_id", Uuid, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("title", String(300), nullable=False),
    Column("details", JSONType, nullable=False),
    Column("event_id", Uuid, nullable=False),  # the last event applied
    Column("source_time", UTCDateTime, nullable=False),
    Index("ix_timeline_entries_client_at", "client_id", "at", "key"),
)

timeline_items = Table(
    "timeline_items",
    timeline_metadata,
    Column("key", Uuid, primary_key=True),  # domain.timeline.Item.key
    Column("kind", String(20), nullable=False),
    Column("entity_id", Uuid, nullable=False),
    Column("client_id", Uuid, nullable=False),
    Column("status", String(20), nullable=False),
    Column("title", String(300), nullable=False),
    Column("at", UTCDateTime, nullable=True),
    Column("ends_at", UTCDateTime, nullable=True),
    Column("promised_by", UTCDateTime, nullable=True),
    Column("on_date", Date, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("balance", Money, nullable=True),
    Column("staff_id", Uuid, nullable=True),
    Column("location", String(300), nullable=True),
    Column("description", Text, nullable=True),
    Column("sequence", Integer, nullable=False),
    Column("birthday", String(10), nullable=True),
    Column("score", Integer, nullable=True),
    Column("source_time", UTCDateTime, nullable=False),
    Index("ix_timeline_items_client", "client_id", "kind"),
    Index("ix_timeline_items_staff", "staff_id", "kind"),
)

timeline_attendees = Table(
    "timeline_attendees",
    timeline_metadata,
    Column("item_key", Uuid, primary_key=True),
    Column("staff_id", Uuid, primary_key=True),
    Index("ix_timeline_attendees_staff", "staff_id"),
)

timeline_clients = Table(
    "timeline_clients",
    timeline_metadata,
    Column("client_id", Uuid, primary_key=True),
    Column("last_contact_at", UTCDateTime, nullable=True),
)

calendar_feeds = Table(
    "calendar_feeds",
    timeline_metadata,
    Column("id", Uuid, primary_key=True),
    Column("staff_id", Uuid, nullable=False),
    Column("digest", String(64), nullable=False, unique=True),  # SHA-256 of the token
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("active", Boolean, nullable=False),
    Index("ix_calendar_feeds_staff", "staff_id"),
)

# What ``orbit timeline rebuild`` empties (the feeds are the staff's, not a projection).
TIMELINE_TABLES = (timeline_entries, timeline_items, timeline_attendees, timeline_clients)


# ---------------------------------------------------------------- writes (the subscribers)


async def put_entry(
    session: AsyncSession,
    client_id: uuid.UUID,
    entry: Entry,
    event_id: uuid.UUID,
    event_time: datetime,
) -> None:
    """The entry, or its update in place (an older event than the stored one changes
    nothing; a state entry keeps its first ``at`` unless it ``moves``)."""
    values = {
        "key": entry.key(event_id),
        "client_id": client_id,
        "type": entry.type,
        "entity_id": entry.entity_id,
        "at": entry.at,
        "title": entry.title,
        "details": entry.details,
        "event_id": event_id,
        "source_time": event_time,
    }
    if entry.history:
        await insert_ignore(session, timeline_entries, values)
        return
    keep = () if entry.moves else ("at",)
    await upsert(session, timeline_entries, "key", values, keep=keep, unless_newer="source_time")


async def put_item(
    session: AsyncSession, client_id: uuid.UUID, item: Item, event_time: datetime
) -> None:
    """The thing's current state (an older event than the stored one changes nothing), its
    meeting's staff replaced; a thing that is ``gone`` is deleted."""
    key = item.key()
    if item.gone:
        await session.execute(delete(timeline_items).where(timeline_items.c.key == key))
        return
    stored = await session.scalar(
        select(timeline_items.c.source_time).where(timeline_items.c.key == key)
    )
    if stored is not None and stored > event_time:
        return
    values = {
        "key": key,
        "kind": item.kind,
        "entity_id": item.entity_id,
        "client_id": client_id,
        "status": item.status,
        "title": item.title,
        "at": item.at,
        "ends_at": item.ends_at,
        "promised_by": item.promised_by,
        "on_date": item.on_date,
        "currency": item.currency,
        "balance": item.balance,
        "staff_id": item.staff_id,
        "location": item.location,
        "description": item.description,
        "sequence": item.sequence,
        "birthday": item.birthday,
        "score": item.score,
        "source_time": event_time,
    }
    await upsert(session, timeline_items, "key", values)
    if item.kind == "meeting":
        await session.execute(
            delete(timeline_attendees).where(timeline_attendees.c.item_key == key)
        )
        for staff_id in item.attendees:
            await insert_ignore(
                session, timeline_attendees, {"item_key": key, "staff_id": staff_id}
            )


async def set_invoice_balance(
    session: AsyncSession,
    key: uuid.UUID,
    status: str,
    balance: Decimal,
    event_time: datetime,
) -> None:
    """An invoice item's status and balance after a payment or its reversal (its due date
    and currency as they were; a newer state stored wins)."""
    await session.execute(
        update(timeline_items)
        .where(timeline_items.c.key == key, timeline_items.c.source_time <= event_time)
        .values(status=status, balance=balance, source_time=event_time)
    )


async def note_contact(session: AsyncSession, client_id: uuid.UUID, at: datetime) -> None:
    """The client's last contact: the latest of the stored one and ``at``."""
    await insert_ignore(session, timeline_clients, {"client_id": client_id})
    column = timeline_clients.c.last_contact_at
    await session.execute(
        update(timeline_clients)
        .where(timeline_clients.c.client_id == client_id)
        .where(or_(column.is_(None), column < at))
        .values(last_contact_at=at)
    )


async def recount_last_contact(session: AsyncSession, client_id: uuid.UUID) -> None:
    """The client's last contact again from its interaction entries (one was retracted)."""
    await insert_ignore(session, timeline_clients, {"client_id": client_id})
    te = timeline_entries.c
    rows = await session.execute(
        select(te.at, te.details).where(te.client_id == client_id, te.type == "interaction")
    )
    await session.execute(
        update(timeline_clients)
        .where(timeline_clients.c.client_id == client_id)
        .values(last_contact_at=last_contact((at, details) for at, details in rows))
    )


async def alerts_of(session: AsyncSession, event_id: uuid.UUID) -> list[Any]:
    """The feed entries the rules wrote for an event about a client (client, title,
    severity): the alert's first level, through the index of its root event (its
    escalations, later, share the root: left out, they have events of their own)."""
    stmt = (
        select(Notification.client_id, Notification.title, Notification.severity)
        .where(
            Notification.root_event_id == event_id,
            Notification.level == 0,
            Notification.client_id.is_not(None),
        )
        .order_by(Notification.created_at, Notification.id)
    )
    return list((await session.execute(stmt)).all())


# ---------------------------------------------------------------- reads (the API)


async def entries_page(
    session: AsyncSession,
    client_id: uuid.UUID,
    *,
    types: Sequence[str],
    before: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """A page of the client's timeline, newest first: by ``at``, then the entry's key (equal
    times keep one order, so a cursor neither skips nor repeats an entry)."""
    t = timeline_entries
    stmt = select(t).where(t.c.client_id == client_id)
    if types:
        stmt = stmt.where(t.c.type.in_(list(types)))
    if before is not None:
        stmt = stmt.where(t.c.at < before)
    if cursor:
        at, key = decode_cursor(cursor, [datetime, uuid.UUID])
        stmt = stmt.where(or_(t.c.at < at, and_(t.c.at == at, t.c.key < key)))
    stmt = stmt.order_by(t.c.at.desc(), t.c.key.desc()).limit(limit + 1)
    rows = list((await session.execute(stmt)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].at, rows[-1].key])
    return rows, next_cursor


def _client_items() -> Any:
    """:func:`open_items`' statement."""
    i = timeline_items
    is_open = case(
        (i.c.kind == "request", i.c.status.in_(sorted(OPEN_REQUEST_STATUSES))),
        (i.c.kind == "task", i.c.status == "open"),
        (i.c.kind == "invoice", i.c.status.in_(sorted(OPEN_INVOICE_STATUSES))),
        (i.c.kind == "contract", i.c.status == "active"),
        else_=False,
    )
    return select(i).where(
        i.c.client_id == _CLIENT, i.c.kind.in_(["request", "task", "invoice", "contract"]), is_open
    )


def _last_scores() -> Any:
    """:func:`last_scores`' statement: a row (kind, score, received at) per kind that has one."""
    i = timeline_items
    last = [
        select(i.c.title.label("kind"), i.c.score, i.c.at)
        .where(
            i.c.client_id == _CLIENT,
            i.c.kind == "feedback",
            i.c.title == kind,
            i.c.status == "received",
        )
        .order_by(i.c.at.desc(), i.c.key.desc())
        .limit(1)
        .subquery()
        for kind in ("nps", "csat")
    ]
    return union_all(*(select(*one.c) for one in last))


# A client's summary runs statements built once, the client's id their one parameter (a client
# page calls it on every view; built each call, they cost the process more than running them).
_CLIENT = bindparam("client_id", type_=Uuid())
_OPEN_ITEMS = _client_items()
_FACTS = select(timeline_clients).where(timeline_clients.c.client_id == _CLIENT)
_LAST_SCORES = _last_scores()


async def open_items(session: AsyncSession, client_id: uuid.UUID) -> list[Any]:
    """The client's open requests, open tasks, unpaid invoices and active contracts."""
    return list((await session.execute(_OPEN_ITEMS, {"client_id": client_id})).all())


async def client_facts(session: AsyncSession, client_id: uuid.UUID) -> Any:
    return (await session.execute(_FACTS, {"client_id": client_id})).first()


async def last_scores(session: AsyncSession, client_id: uuid.UUID) -> dict[str, Any]:
    """The client's last NPS and CSAT that still count (withdrawn ones left out): kind ->
    (score, received at)."""
    rows = await session.execute(_LAST_SCORES, {"client_id": client_id})
    return {row.kind: (row.score, row.at) for row in rows}


# ---------------------------------------------------------------- the calendar


async def calendar_rows(
    session: AsyncSession, owner: Caller, since: datetime, since_day: date, limit: int
) -> list[Any]:
    """What the owner's calendar shows, with each client's name and timezone: the meetings
    they take part in, their open tasks, and, of the clients in their scope, the promised
    answers of open requests, active contracts' ends, unpaid invoices' due dates and the
    contacts' birthdays. Dated things from ``since`` (``since_day``) on; at most ``limit``."""
    i, c = timeline_items, client_replica
    mine = select(timeline_attendees.c.item_key).where(timeline_attendees.c.staff_id == owner.id)
    scoped = client_scope(owner, i.c.client_id)
    shown = or_(
        and_(i.c.kind == "meeting", i.c.key.in_(mine), i.c.at >= since),
        and_(i.c.kind == "task", i.c.staff_id == owner.id, i.c.status == "open", i.c.at >= since),
        and_(
            scoped,
            or_(
                and_(
                    i.c.kind == "request",
                    i.c.status == "acknowledged",
                    i.c.promised_by >= since,
                ),
                and_(i.c.kind == "contract", i.c.status == "active", i.c.on_date >= since_day),
                and_(
                    i.c.kind == "invoice",
                    i.c.status.in_(sorted(OPEN_INVOICE_STATUSES)),
                    i.c.on_date >= since_day,
                ),
                i.c.kind == "birthday",
            ),
        ),
    )
    stmt = (
        select(i, c.c.name.label("client_name"), c.c.timezone.label("client_timezone"))
        .join(c, c.c.id == i.c.client_id)
        .where(shown)
        .order_by(i.c.kind, i.c.key)
        .limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def add_feed(
    session: AsyncSession, feed_id: uuid.UUID, staff_id: uuid.UUID, digest: str, now: datetime
) -> None:
    await insert_ignore(
        session,
        calendar_feeds,
        {
            "id": feed_id,
            "staff_id": staff_id,
            "digest": digest,
            "created_at": now,
            "active": True,
        },
    )


async def revoke_feed(
    session: AsyncSession, feed_id: uuid.UUID, staff_id: uuid.UUID, now: datetime
) -> bool:
    """Revoke the staff member's own feed; False when they have no such active feed."""
    result = await session.execute(
        update(calendar_feeds)
        .where(
            calendar_feeds.c.id == feed_id,
            calendar_feeds.c.staff_id == staff_id,
            calendar_feeds.c.active.is_(True),
        )
        .values(active=False, revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def feed_owner(session: AsyncSession, digest: str) -> uuid.UUID | None:
    """The staff member whose active feed has this token digest."""
    return await session.scalar(
        select(calendar_feeds.c.staff_id).where(
            calendar_feeds.c.digest == digest, calendar_feeds.c.active.is_(True)
        )
    )
