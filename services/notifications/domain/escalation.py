"""The escalation chain: an unacknowledged alert climbs the reporting line, one head at a
time, each step once. Pure: the reporting line is a mapping passed in."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta


def next_head(
    current: uuid.UUID,
    heads: Mapping[uuid.UUID, uuid.UUID | None],
    reached: set[uuid.UUID],
    first_head: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Whom an alert held by ``current`` climbs to: ``first_head`` when given (the event's
    ``head_id``, for the first step), else ``current``'s head in ``heads``; None at the top,
    or when that person already had the alert (``reached``: a cycle, or a head who is also
    the manager)."""
    target = first_head if first_head is not None else heads.get(current)
    if target is None or target == current or target in reached:
        return None
    return target


def escalation_chain(
    start: uuid.UUID,
    heads: Mapping[uuid.UUID, uuid.UUID | None],
    first_head: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Everyone an alert to ``start`` would reach, level 1 first, if nobody acknowledges."""
    chain: list[uuid.UUID] = []
    reached = {start}
    current = start
    head = next_head(current, heads, reached, first_head)
    while head is not None:
        chain.append(head)
        reached.add(head)
        current = head
        head = next_head(current, heads, reached)
    return chain


def escalate_at(created_at: datetime, delay: timedelta | None) -> datetime | None:
    """When an alert created at ``created_at`` climbs if unacknowledged (None: never)."""
    return None if delay is None else created_at + delay


def escalation_key(root_event_id: uuid.UUID, target: uuid.UUID) -> str:
    """The deterministic key of one step: the alert (its first event) reaching one person."""
    return f"notifications:escalation:{root_event_id}:{target}"
