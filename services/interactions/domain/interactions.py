"""Rules of the interaction log: which interactions open a request, which may answer one,
how far in the future ``occurred_at`` may be, and which may be retracted."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, get_args

InteractionType = Literal["call", "email", "meeting", "message", "note"]
Direction = Literal["inbound", "outbound", "internal"]
TYPES: tuple[InteractionType, ...] = get_args(InteractionType)
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)

# Clocks differ: an occurred_at up to this far ahead of the server's clock is accepted.
FUTURE_TOLERANCE = timedelta(minutes=5)


def opens_request(kind: str, direction: str, requires_response: bool, missed: bool) -> bool:
    """An inbound interaction that requires a response, or a missed inbound call ("always
    answer calls")."""
    if direction != "inbound":
        return False
    return requires_response or (kind == "call" and missed)


def problems(
    *,
    kind: str,
    direction: str,
    occurred_at: datetime,
    now: datetime,
    requires_response: bool,
    missed: bool,
    responds_to: object | None,
    promise_by: datetime | None,
    tolerance: timedelta = FUTURE_TOLERANCE,
) -> dict[str, str]:
    """What is wrong with an interaction, field by field (empty when it is fine)."""
    found: dict[str, str] = {}
    if occurred_at > now + tolerance:
        found["occurred_at"] = (
            f"is in the future (more than {int(tolerance.total_seconds() // 60)} minutes "
            "ahead): log what happened, plan with a task"
        )
    if missed and not (kind == "call" and direction == "inbound"):
        found["missed"] = "only an inbound call can be missed"
    if requires_response and direction != "inbound":
        found["requires_response"] = "only an inbound interaction can require a response"
    if responds_to is not None and direction != "outbound":
        found["responds_to"] = "only an outbound interaction answers a request"
    if promise_by is not None and responds_to is None:
        found["promise_by"] = "a promise is made in a reply: give responds_to"
    return found


class RetractError(ValueError):
    """A retraction the interaction does not allow (the API's 409)."""


def check_retract(
    *, retracted: bool, responds_to: object | None, meeting_id: object | None
) -> None:
    """Any interaction logged by mistake may be retracted once, but a reply to a request
    (the request's answer is on record: log a correcting reply) and a meeting logged by
    marking a planned meeting held (the plan says it took place)."""
    if retracted:
        raise RetractError("the interaction is retracted already")
    if responds_to is not None:
        raise RetractError("a reply to a request cannot be retracted: its answer is on record")
    if meeting_id is not None:
        raise RetractError("logged by marking a planned meeting held: it cannot be retracted")
