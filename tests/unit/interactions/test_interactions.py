"""Which interactions open a request, their problems, which may be retracted
(``domain/interactions.py``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.interactions.domain import interactions

NOW = datetime(2037, 11, 23, 9, tzinfo=UTC)  # a Monday, far from any real today


@pytest.mark.parametrize(
    ("kind", "direction", "requires", "missed", "opens"),
    [
        ("email", "inbound", True, False, True),
        ("email", "inbound", False, False, False),
        ("call", "inbound", False, True, True),
        ("call", "inbound", False, False, False),
        ("email", "outbound", True, False, False),
        ("note", "internal", False, False, False),
        ("message", "inbound", True, False, True),
    ],
)
def test_which_interactions_open_a_request(
    kind: str, direction: str, requires: bool, missed: bool, opens: bool
) -> None:
    assert interactions.opens_request(kind, direction, requires, missed) is opens


def check(**overrides: object) -> dict[str, str]:
    values: dict = {
        "kind": "email",
        "direction": "inbound",
        "occurred_at": NOW,
        "now": NOW,
        "requires_response": False,
        "missed": False,
        "responds_to": None,
        "promise_by": None,
    }
    values.update(overrides)
    return interactions.problems(**values)


def test_interaction_problems() -> None:
    assert check() == {}
    assert check(occurred_at=NOW + timedelta(minutes=5)) == {}
    assert set(check(occurred_at=NOW + timedelta(minutes=6))) == {"occurred_at"}
    assert check(occurred_at=NOW - timedelta(days=400)) == {}
    assert set(check(kind="email", missed=True)) == {"missed"}
    assert set(check(kind="call", direction="outbound", missed=True)) == {"missed"}
    assert set(check(direction="outbound", requires_response=True)) == {"requires_response"}
    assert set(check(responds_to=uuid.uuid4())) == {"responds_to"}
    assert (
        check(direction="outbound", responds_to=uuid.uuid4(), promise_by=NOW + timedelta(hours=1))
        == {}
    )
    assert set(check(direction="outbound", promise_by=NOW)) == {"promise_by"}


def test_which_interactions_may_be_retracted() -> None:
    interactions.check_retract(retracted=False, responds_to=None, meeting_id=None)
    for blocked in (
        {"retracted": True, "responds_to": None, "meeting_id": None},
        {"retracted": False, "responds_to": uuid.uuid4(), "meeting_id": None},
        {"retracted": False, "responds_to": None, "meeting_id": uuid.uuid4()},
    ):
        with pytest.raises(interactions.RetractError):
            interactions.check_retract(**blocked)  # type: ignore[arg-type]
