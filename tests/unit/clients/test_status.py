"""The client status lifecycle: prospect -> active <-> paused, any -> churned (with a reason)."""

from __future__ import annotations

import pytest

from services.clients.domain.status import (
    STATUSES,
    IllegalTransition,
    ReasonRequired,
    StatusChange,
    change_status,
)

ALLOWED = {
    ("prospect", "active"),
    ("prospect", "churned"),
    ("active", "paused"),
    ("active", "churned"),
    ("paused", "active"),
    ("paused", "churned"),
}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_every_pair_of_statuses(current: str, new: str) -> None:
    if current == new:
        assert change_status(current, new, "whatever") is None
    elif (current, new) in ALLOWED:
        change = change_status(current, new, "a reason")
        assert change == StatusChange(current, new, "a reason")
    else:
        with pytest.raises(IllegalTransition) as info:
            change_status(current, new, "a reason")
        assert current in str(info.value) and new in str(info.value)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_churn_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(ReasonRequired):
        change_status("active", "churned", reason)


def test_reason_is_trimmed_and_optional_elsewhere() -> None:
    assert change_status("active", "paused") == StatusChange("active", "paused", None)
    assert change_status("paused", "churned", "  moved to a competitor ").reason == (
        "moved to a competitor"
    )


def test_churned_is_terminal_and_unknown_statuses_are_refused() -> None:
    for new in ("prospect", "active", "paused"):
        with pytest.raises(IllegalTransition):
            change_status("churned", new, "back")
    with pytest.raises(IllegalTransition):
        change_status("active", "deleted")
