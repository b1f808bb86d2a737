"""Queries of the notifications service. A feed is its recipient's own: every query takes the
recipient, so another user's notification is simply not found."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.rules import DEFAULT_RULES, Rule, rules_of_department
from services.notifications.domain.scorecard.reports import TEMPLATE as REPORT_TEMPLATE
from services.notifications.domain.tickets import TicketState
from services.notifications.store.models import (
    Delivery,
    DeliveryAttempt,
    DepartmentRuleSet,
    Locale,
    Notification,
    Preference,
    RuleSet,
    StreamTicket,
    Webhook,
)
from shared.db import insert_ignore, upsert
from shared.pagination import SortKey, Sorts, paginate
from shared.replicas import client_replica, staff_replica
from shared.store import one_or_404
from shared.tracing import current_traceparent

RULE_SET_ID = 1


@dataclass(frozen=True)
class FeedFilter:
    """What a feed list, its count or ``read-all`` keeps of the recipient's entries: read or
    not (``unread`` True / False / None: all), about one client, of one type, of one
    severity; ``before``: created at or before that instant."""

    unread: bool | None = None
    client_id: uuid.UUID | None = None
    type: str | None = None
    severity: str | None = None
    before: datetime | None = None


def _feed_where(recipient_id: uuid.UUID, where: FeedFilter) -> list[ColumnElement[bool]]:
    clauses = [Notification.recipient_id == recipient_id]
    if where.unread is True:
        clauses.append(Notification.read_at.is_(None))
    elif where.unread is False:
        clauses.append(Notification.read_at.is_not(None))
    if where.client_id is not None:
        clauses.append(Notification.client_id == where.client_id)
    if where.type is not None:
        clauses.append(Notification.type == where.type)
    if where.severity is not None:
        clauses.append(Notification.severity == where.severity)
    if where.before is not None:
        clauses.append(Notification.created_at <= where.before)
    return clauses


async def feed_page(
    session: AsyncSession,
    recipient_id: uuid.UUID,
    where: FeedFilter,
    *,
    limit: int,
    cursor: str | None,
    oldest_first: bool = False,
) -> tuple[list[Notification], str | None]:
    """One page of a recipient's feed, newest first (``oldest_first``: the other way), by
    (created_at, id): the feed index."""
    stmt = select(Notification).where(*_feed_where(recipient_id, where))
    return await paginate(
        session,
        stmt,
        [Notification.created_at, Notification.id],
        limit=limit,
        cursor=cursor,
        desc=not oldest_first,
    )


# A count reads at most this many rows (and says so): a badge shows "9999+", not a scan of a
# feed of a million entries.
COUNT_CAP = 10_000


async def feed_count(
    session: AsyncSession, recipient_id: uuid.UUID, where: FeedFilter, *, cap: int = COUNT_CAP
) -> tuple[int, bool]:
    """How many of the recipient's entries match, counted up to ``cap``; True when there are
    more than ``cap`` (the count is then ``cap``)."""
    matching = (
        select(Notification.id).where(*_feed_where(recipient_id, where)).limit(cap + 1)
    ).subquery()
    found = int(await session.scalar(select(func.count()).select_from(matching)) or 0)
    return min(found, cap), found > cap


async def mark_feed_read(
    session: AsyncSession, recipient_id: uuid.UUID, where: FeedFilter, now: datetime
) -> int:
    """Mark the recipient's unread entries that match read (now); how many were."""
    unread = FeedFilter(
        unread=True,
        client_id=where.client_id,
        type=where.type,
        severity=where.severity,
        before=where.before,
    )
    result = await session.execute(
        update(Notification)
        .where(*_feed_where(recipient_id, unread))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def get_own_notification(
    session: AsyncSession,
    recipient_id: uuid.UUID,
    notification_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Notification:
    """The recipient's notification (locked when ``for_update``), else 404 (whether it exists
    for someone else is not revealed)."""
    stmt = select(Notification).where(
        Notification.id == notification_id, Notification.recipient_id == recipient_id
    )
    return await one_or_404(
        session, stmt, Notification, "notification", notification_id, for_update=for_update
    )


# ---------------------------------------------------------------- rules and preferences


async def client_department(session: AsyncSession, client_id: uuid.UUID) -> str | None:
    """The department of the client's account manager, as the client replica holds it."""
    return cast(
        str | None,
        await session.scalar(
            select(client_replica.c.account_manager_department).where(
                client_replica.c.id == client_id
            )
        ),
    )


def _rules(stored: Sequence[Mapping[str, Any]], department: str | None) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            event_type=r["event_type"],
            recipients=tuple(r["recipients"]),
            channels=tuple(r["channels"]),
            severity=r["severity"],
            escalate_after=r.get("escalate_after"),
            department=department,
        )
        for r in stored
    )


async def load_own_rules(
    session: AsyncSession, department: str | None, *, for_update: bool = False
) -> tuple[Rule, ...]:
    """The rules saved for the scope itself: the global ones (the contract's defaults until
    an admin saves others), or ``department``'s own (none until saved); ``for_update`` locks
    the saved row (a replacement's audit rows name what it replaced)."""
    if department is None:
        query = select(RuleSet.rules).where(RuleSet.id == RULE_SET_ID)
    else:
        query = select(DepartmentRuleSet.rules).where(DepartmentRuleSet.department == department)
    saved = await session.scalar(query.with_for_update() if for_update else query)
    if saved is None:
        return DEFAULT_RULES if department is None else ()
    return _rules(saved, department)


async def load_rules(session: AsyncSession, department: str | None = None) -> tuple[Rule, ...]:
    """The rules in force: as an admin last saved them, else the contract's defaults; for a
    ``department``, its own rules over those (``domain.rules.rules_of_department``)."""
    found = await load_own_rules(session, None)
    if department is None:
        return found
    return rules_of_department(found, await load_own_rules(session, department))


async def load_rule_book(session: AsyncSession) -> dict[str | None, tuple[Rule, ...]]:
    """The global rules in force (key None) and each department's own rules."""
    book: dict[str | None, tuple[Rule, ...]] = {None: await load_rules(session)}
    rows = await session.execute(select(DepartmentRuleSet.department, DepartmentRuleSet.rules))
    book.update({department: _rules(rules, department) for department, rules in rows})
    return book


async def save_rules(
    session: AsyncSession,
    rules: Sequence[Rule],
    by: uuid.UUID,
    now: datetime,
    department: str | None = None,
) -> None:
    """Replace the global rules, or ``department``'s own."""
    saved = {"rules": [r.as_dict() for r in rules], "updated_at": now, "updated_by": by}
    if department is None:
        table, key, row = RuleSet.__table__, "id", {"id": RULE_SET_ID, **saved}
    else:
        table, key, row = (
            DepartmentRuleSet.__table__,
            "department",
            {"department": department, **saved},
        )
    await upsert(session, table, key, row)  # type: ignore[arg-type]


async def preference_of(
    session: AsyncSession, staff_id: uuid.UUID, *, for_update: bool = False
) -> Preference | None:
    query = select(Preference).where(Preference.staff_id == staff_id)
    return await session.scalar(query.with_for_update() if for_update else query)


async def preferences_of(
    session: AsyncSession, staff_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Preference]:
    if not staff_ids:
        return {}
    rows = await session.scalars(select(Preference).where(Preference.staff_id.in_(staff_ids)))
    return {p.staff_id: p for p in rows}


# ---------------------------------------------------------------- people


@dataclass(frozen=True)
class StaffInfo:
    id: uuid.UUID
    name: str
    email: str
    role: str
    head_id: uuid.UUID | None
    timezone: str
    active: bool


async def staff_by_ids(
    session: AsyncSession, staff_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, StaffInfo]:
    if not staff_ids:
        return {}
    rows = await session.execute(select(staff_replica).where(staff_replica.c.id.in_(staff_ids)))
    return {
        r.id: StaffInfo(r.id, r.name, r.email, r.role, r.head_id, r.timezone, r.active)
        for r in rows
    }


@dataclass(frozen=True)
class Recipient:
    """A staff member with what a notification to them needs: their preferences (None: the
    defaults) and their locale."""

    staff: StaffInfo
    preference: Preference | None
    locale: str | None


async def recipients(
    session: AsyncSession, staff_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Recipient]:
    """Staff members with their preferences and locales, in one query."""
    if not staff_ids:
        return {}
    rows = await session.execute(
        select(staff_replica, Preference, Locale.locale)
        .outerjoin(Preference, Preference.staff_id == staff_replica.c.id)
        .outerjoin(Locale, Locale.subject_id == staff_replica.c.id)
        .where(staff_replica.c.id.in_(staff_ids))
    )
    out = {}
    for row in rows:
        info = StaffInfo(
            row.id, row.name, row.email, row.role, row.head_id, row.timezone, row.active
        )
        out[row.id] = Recipient(info, row.Preference, row.locale)
    return out


async def admin_ids(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(staff_replica.c.id)
        .where(staff_replica.c.role == "admin", staff_replica.c.active.is_(True))
        .order_by(staff_replica.c.id)
    )
    return list(rows)


async def client_contacts(session: AsyncSession, client_id: uuid.UUID) -> list[dict[str, Any]]:
    """The client's contacts as the replica keeps them (id, name, email, roles)."""
    contacts = await session.scalar(
        select(client_replica.c.contacts).where(client_replica.c.id == client_id)
    )
    return list(contacts or [])


async def locales_of(
    session: AsyncSession, subject_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    if not subject_ids:
        return {}
    rows = await session.execute(
        select(Locale.subject_id, Locale.locale).where(Locale.subject_id.in_(subject_ids))
    )
    return {r.subject_id: r.locale for r in rows}


async def set_locale(
    session: AsyncSession, subject_id: uuid.UUID, kind: str, locale: str | None
) -> None:
    await upsert(
        session,
        Locale.__table__,  # type: ignore[arg-type]
        "subject_id",
        {"subject_id": subject_id, "kind": kind, "locale": locale or None},
    )


# ---------------------------------------------------------------- webhooks and deliveries


@dataclass(frozen=True)
class Subscription:
    id: uuid.UUID
    url: str
    event_types: frozenset[str]


async def active_webhooks(session: AsyncSession) -> list[Subscription]:
    """Every active subscription (few: the event types are matched by the caller)."""
    rows = await session.execute(
        select(Webhook.id, Webhook.url, Webhook.event_types).where(
            Webhook.active.is_(True), Webhook.deleted_at.is_(None)
        )
    )
    return [Subscription(r.id, r.url, frozenset(r.event_types)) for r in rows]


async def webhooks_page(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[Webhook], str | None]:
    stmt = select(Webhook).where(Webhook.deleted_at.is_(None))
    return await paginate(
        session, stmt, [Webhook.created_at, Webhook.id], limit=limit, cursor=cursor, desc=True
    )


async def get_webhook(
    session: AsyncSession, webhook_id: uuid.UUID, *, for_update: bool = False
) -> Webhook:
    stmt = select(Webhook).where(Webhook.id == webhook_id, Webhook.deleted_at.is_(None))
    return await one_or_404(session, stmt, Webhook, "webhook", webhook_id, for_update=for_update)


async def add_delivery(session: AsyncSession, values: dict[str, Any]) -> bool:
    """One delivery per ``key`` (event, recipient, channel): a second is ignored. It keeps
    the current span's ``traceparent`` (tracing on: the consumer's), for its sending."""
    values = {"traceparent": current_traceparent(), **values}
    return await insert_ignore(session, Delivery.__table__, values)  # type: ignore[arg-type]


async def has_delivery(session: AsyncSession, key: str) -> bool:
    return await session.scalar(select(Delivery.id).where(Delivery.key == key)) is not None


@dataclass(frozen=True)
class DeliveryFilter:
    """What a list of deliveries keeps: its channel, status, subscription, the client and the
    type (``event_type``) and severity of the event behind it."""

    channel: str | None = None
    status: str | None = None
    webhook_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    type: str | None = None
    severity: str | None = None


# ``?sort=`` of the deliveries lists: newest first on ``ix_deliveries_list`` (the one order)
DELIVERY_SORTS = Sorts(
    Delivery.id, "-created_at", indexed=("created_at",), created_at=SortKey(Delivery.created_at)
)


def deliveries(where: DeliveryFilter) -> Select[Any]:
    """The deliveries ``where`` keeps (of events: a scorecard report is an email delivery
    with no event behind it); paged by ``DELIVERY_SORTS``."""
    stmt = select(Delivery).where(
        or_(Delivery.template.is_(None), Delivery.template != REPORT_TEMPLATE)
    )
    for column, value in (
        (Delivery.channel, where.channel),
        (Delivery.status, where.status),
        (Delivery.webhook_id, where.webhook_id),
        (Delivery.client_id, where.client_id),
        (Delivery.event_type, where.type),
        (Delivery.severity, where.severity),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


async def attempts_of(
    session: AsyncSession, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DeliveryAttempt]]:
    """The attempts of each delivery, first first (one query for a page of deliveries)."""
    out: dict[uuid.UUID, list[DeliveryAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        rows = await session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
            .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number)
        )
        for attempt in rows:
            out[attempt.delivery_id].append(attempt)
    return out


async def get_webhook_delivery(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Delivery:
    stmt = select(Delivery).where(Delivery.id == delivery_id, Delivery.webhook_id == webhook_id)
    return await one_or_404(session, stmt, Delivery, "delivery", delivery_id, for_update=for_update)


# ---------------------------------------------------------------- the live stream

# A position in a recipient's stream: the (seq, id) of the last entry sent.
StreamCursor = tuple[int, uuid.UUID]


async def stream_after(
    session: AsyncSession, recipient_id: uuid.UUID, after: StreamCursor | None, *, limit: int
) -> list[Notification]:
    """The recipient's entries after ``after`` (all when None), by (seq, id): the stream
    index. ``seq`` numbers a recipient's entries in the order their transactions committed
    (the database gives it, see the model), so nothing can appear later before the cursor."""
    stmt = select(Notification).where(Notification.recipient_id == recipient_id)
    if after is not None:
        stmt = stmt.where(_after_cursor(after))
    return list(
        await session.scalars(stmt.order_by(Notification.seq, Notification.id).limit(limit))
    )


def _after_cursor(cursor: StreamCursor) -> ColumnElement[bool]:
    return or_(
        Notification.seq > cursor[0],
        and_(Notification.seq == cursor[0], Notification.id > cursor[1]),
    )


# PostgreSQL: one index range per recipient, however many (SQLite: the portable form).
_STREAMS_AFTER = text(
    """
    SELECT entry.* FROM unnest(
        CAST(:recipients AS uuid[]), CAST(:seqs AS bigint[]), CAST(:ids AS uuid[])
    ) AS stream(recipient_id, seq, id)
    CROSS JOIN LATERAL (
        SELECT * FROM notifications AS n
        WHERE n.recipient_id = stream.recipient_id AND (n.seq, n.id) > (stream.seq, stream.id)
        ORDER BY n.seq, n.id
        LIMIT :per
    ) AS entry
    ORDER BY entry.recipient_id, entry.seq, entry.id
    """
)


async def streams_after(
    session: AsyncSession, cursors: Mapping[uuid.UUID, StreamCursor | None], *, limit: int
) -> list[Notification]:
    """For each recipient of ``cursors``, their entries after its cursor (all when None), at
    most ``limit`` each, by recipient then (seq, id): one statement for many streams."""
    if not cursors:
        return []
    if session.get_bind().dialect.name == "postgresql":
        start = [cursor or (-1, uuid.UUID(int=0)) for cursor in cursors.values()]
        query = _STREAMS_AFTER.bindparams(
            recipients=list(cursors), seqs=[c[0] for c in start], ids=[c[1] for c in start]
        )
        return list(
            await session.scalars(select(Notification).from_statement(query), {"per": limit})
        )
    matching = or_(
        *(
            Notification.recipient_id == recipient
            if cursor is None
            else and_(Notification.recipient_id == recipient, _after_cursor(cursor))
            for recipient, cursor in cursors.items()
        )
    )
    ranked = (
        select(
            Notification.id.label("entry_id"),
            func.row_number()
            .over(
                partition_by=Notification.recipient_id,
                order_by=(Notification.seq, Notification.id),
            )
            .label("n"),
        )
        .where(matching)
        .subquery()
    )
    stmt = (
        select(Notification)
        .join(ranked, ranked.c.entry_id == Notification.id)
        .where(ranked.c.n <= limit)
        .order_by(Notification.recipient_id, Notification.seq, Notification.id)
    )
    return list(await session.scalars(stmt))


async def stream_cursor(
    session: AsyncSession, recipient_id: uuid.UUID, notification_id: uuid.UUID | None
) -> StreamCursor | None:
    """The cursor of the recipient's entry ``notification_id`` (None: not theirs, or no such
    entry); without an id, of their newest entry (None: they have none)."""
    stmt = select(Notification.seq, Notification.id).where(
        Notification.recipient_id == recipient_id
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    else:
        stmt = stmt.order_by(Notification.seq.desc(), Notification.id.desc())
    found = (await session.execute(stmt.limit(1))).first()
    return None if found is None else (int(found.seq), found.id)


# ---------------------------------------------------------------- stream tickets


async def add_stream_ticket(
    session: AsyncSession,
    digest: str,
    staff_id: uuid.UUID,
    role: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Store a new ticket (its digest) and delete the expired ones (used or not)."""
    await session.execute(delete(StreamTicket).where(StreamTicket.expires_at <= now))
    session.add(
        StreamTicket(
            digest=digest, staff_id=staff_id, role=role, created_at=now, expires_at=expires_at
        )
    )


async def use_stream_ticket(
    session: AsyncSession, digest: str, now: datetime
) -> tuple[TicketState, str] | None:
    """Mark the ticket used, in one statement that only matches an unused ticket: of two
    concurrent requests, one gets it and the other finds it used. Returns its state (with
    ``used_before``) and role, or None when no such ticket is stored."""
    took = (
        await session.execute(
            update(StreamTicket)
            .where(StreamTicket.digest == digest, StreamTicket.used_at.is_(None))
            .values(used_at=now)
            .returning(StreamTicket.staff_id, StreamTicket.expires_at, StreamTicket.role)
        )
    ).first()
    if took is not None:
        return TicketState(took.staff_id, took.expires_at, used_before=False), took.role
    row = await session.get(StreamTicket, digest)
    if row is None:
        return None
    return TicketState(row.staff_id, row.expires_at, used_before=True), row.role
