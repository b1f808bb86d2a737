"""A client's status lifecycle: prospect -> active <-> paused, any -> churned.

``churned`` is terminal: no transition leaves it (the lifecycle of the issue). Churning needs
a reason; any other change may carry one. Setting the current status again is no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from shared.values import ClientStatus

# A client's statuses (``shared.values``: the API's schemas, the events and the reports of
# every service take these), and the ones a new client may start in.
STATUSES: tuple[ClientStatus, ...] = get_args(ClientStatus)
InitialStatus = Literal["prospect", "active"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "prospect": frozenset({"active", "churned"}),
    "active": frozenset({"paused", "churned"}),
    "paused": frozenset({"active", "churned"}),
    "churned": frozenset(),
}

REASON_REQUIRED = frozenset({"churned"})


class IllegalTransition(Exception):
    def __init__(self, current: str, new: str) -> None:
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none"
        super().__init__(f"a {current} client cannot become {new} (allowed: {allowed})")
        self.current = current
        self.new = new


class ReasonRequired(Exception):
    def __init__(self, new: str) -> None:
        super().__init__(f"changing the status to {new} needs a reason")
        self.new = new


@dataclass(frozen=True)
class StatusChange:
    old: str
    new: str
    reason: str | None


def change_status(current: str, new: str, reason: str | None = None) -> StatusChange | None:
    """The change from ``current`` to ``new``, or None when the status stays the same.

    Raises :class:`IllegalTransition` for a move the lifecycle does not allow and
    :class:`ReasonRequired` when churning without a (non-blank) reason.
    """
    if current not in TRANSITIONS or new not in TRANSITIONS:
        raise IllegalTransition(current, new)
    reason = (reason or "").strip() or None
    if new == current:
        return None
    if new not in TRANSITIONS[current]:
        raise IllegalTransition(current, new)
    if new in REASON_REQUIRED and reason is None:
        raise ReasonRequired(new)
    return StatusChange(current, new, reason)
