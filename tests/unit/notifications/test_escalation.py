"""The escalation chain: manager -> head -> head's head, each once, no cycles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.notifications.domain.escalation import (
    escalate_at,
    escalation_chain,
    escalation_key,
    next_head,
)

MANAGER, HEAD, DIRECTOR, CEO = (uuid.uuid4() for _ in range(4))
LINE = {MANAGER: HEAD, HEAD: DIRECTOR, DIRECTOR: CEO, CEO: None}


def test_levels_climb_to_the_top() -> None:
    assert escalation_chain(MANAGER, LINE) == [HEAD, DIRECTOR, CEO]
    assert escalation_chain(DIRECTOR, LINE) == [CEO]
    assert escalation_chain(CEO, LINE) == []


def test_first_step_can_take_the_events_head() -> None:
    other = uuid.uuid4()
    assert escalation_chain(MANAGER, {**LINE, other: CEO}, first_head=other) == [other, CEO]


def test_cycles_and_self_heads_stop() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert escalation_chain(a, {a: b, b: a}) == [b]
    assert escalation_chain(a, {a: a}) == []
    assert next_head(MANAGER, LINE, reached={HEAD}) is None


def test_keys_are_deterministic_per_alert_and_person() -> None:
    root = uuid.uuid4()
    assert escalation_key(root, HEAD) == escalation_key(root, HEAD)
    assert escalation_key(root, HEAD) != escalation_key(root, DIRECTOR)


def test_escalate_at() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    assert escalate_at(created, timedelta(hours=4)) == created + timedelta(hours=4)
    assert escalate_at(created, None) is None
