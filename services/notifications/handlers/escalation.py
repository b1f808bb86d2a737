"""The escalation scan (run by the scheduled job ``workers.EscalationJob``): every alert past
its ``escalate_at`` and unacknowledged climbs one step of the reporting line
(``domain/escalation.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import select

from services.notifications.domain.catalog import Severity
from services.notifications.domain.dispatch import staff_email
from services.notifications.domain.escalation import escalation_key, next_head
from services.notifications.domain.messages import describe, language_of
from services.notifications.domain.rules import RuleBook, parse_duration, rule_for, rules_for
from services.notifications.events import AlertEscalatedV1
from services.notifications.handlers.dispatch import (
    add_notification,
    add_staff_email,
    staff_member,
)
from services.notifications.store import repository as repo
from services.notifications.store.models import Notification
from shared.uow import UnitOfWorkFactory


async def escalate(uow_factory: UnitOfWorkFactory, now: datetime, *, batch_size: int) -> int:
    """Climb every alert past its ``escalate_at`` and unacknowledged one step: the holder's
    head gets a feed entry (level + 1, and an email when the rule says so), the event
    ``alert.escalated.v1`` is emitted under a deterministic key (the alert and the head), and
    the entry that climbed escalates no more; the head's entry climbs after as long again."""
    total = 0
    while True:
        async with uow_factory() as uow:
            session = uow.session
            stmt = (
                select(Notification)
                .where(
                    Notification.escalate_at.is_not(None),
                    Notification.escalate_at <= now,
                    Notification.acked_at.is_(None),
                )
                .order_by(Notification.escalate_at, Notification.id)
                .limit(batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(await session.scalars(stmt))
            if not rows:
                return total
            rules = await repo.load_rule_book(session)
            for row in rows:
                row.escalate_at = None
                total += await _climb(uow, row, rules, now)
            await uow.commit()
        if len(rows) < batch_size:
            return total


async def _climb(uow: Any, row: Notification, rules: RuleBook, now: datetime) -> int:
    session = uow.session
    root = row.root_event_id or row.event_id
    if row.client_id is None or not row.escalate_after:
        return 0
    reached = set(
        await session.scalars(
            select(Notification.recipient_id).where(Notification.root_event_id == root)
        )
    )
    # Climb past heads who left (inactive) to the next one up.
    current = row.recipient_id
    target = None
    for _ in range(50):
        people = await repo.staff_by_ids(session, [current])
        head = next_head(
            current, {current: people[current].head_id} if current in people else {}, reached
        )
        if head is None:
            return 0
        info = (await repo.staff_by_ids(session, [head])).get(head)
        reached.add(head)
        if info is not None and info.active:
            target = info
            break
        current = head
    if target is None:
        return 0
    level = row.level + 1
    event = AlertEscalatedV1(
        client_id=row.client_id,
        alert_event_id=root,
        alert_type=row.type,
        severity=row.severity,
        title=row.title,
        level=level,
        from_staff_id=row.recipient_id,
        to_staff_id=target.id,
        notification_id=row.id,
        escalate_after=row.escalate_after,
        escalated_at=now,
    )
    emitted = await uow.emit_once(escalation_key(root, target.id), event)
    if emitted is None:
        return 0
    preference = (await repo.preferences_of(session, [target.id])).get(target.id)
    locale = (await repo.locales_of(session, [target.id])).get(target.id)
    person = staff_member(target, preference, locale)
    language = language_of(locale)
    data = {"level": level, "alert_title": row.title, "alert_body": row.body}
    title, body = describe(AlertEscalatedV1.TYPE, data, language)
    severity = cast(Severity, row.severity)
    wanted = person.choices.wanted(severity)
    department = await repo.client_department(session, row.client_id) if len(rules) > 1 else None
    rule = rule_for(rules_for(rules, department), row.type)
    if "in_app" in wanted:
        await add_notification(
            uow,
            recipient_id=target.id,
            event_id=emitted.id,
            event_type=row.type,
            severity=row.severity,
            title=title,
            body=body,
            client_id=row.client_id,
            root_event_id=root,
            level=level,
            escalate_after=row.escalate_after,
            escalates_at=now + parse_duration(row.escalate_after),
        )
    if rule is not None and "email" in rule.channels and "email" in wanted:
        await add_staff_email(
            uow,
            staff_email(person, severity, language, title, body, uow.clock.now()),
            event_id=emitted.id,
            event_type=row.type,
            severity=row.severity,
            client_id=row.client_id,
            client_name=None,
            level=level,
            escalates=True,
        )
    return 1
