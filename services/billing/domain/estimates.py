"""An estimate's life: draft -> approved -> invoiced (once: a draft invoice with its lines);
a draft can be edited, or rejected with a reason. ``valid_until`` is enforced: a draft past
it (the client's today is after it) shows as ``expired`` and can no longer be approved
(a read-time state; the expiry scan sends ``estimate.expired`` once per ``valid_until``);
it can still be edited (a new ``valid_until`` revives it) or rejected."""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

# An estimate's statuses as the API shows them (the schemas and the query parameter take
# these); ``expired`` is never stored (:func:`effective_status`).
EstimateStatus = Literal["draft", "approved", "invoiced", "rejected", "expired"]
STATUSES: tuple[EstimateStatus, ...] = get_args(EstimateStatus)
DRAFT, APPROVED, INVOICED, REJECTED, EXPIRED = STATUSES


class IllegalTransition(Exception):
    """An estimate cannot go from its status to the one asked (a 409)."""


def is_expired(valid_until: date | None, today: date) -> bool:
    return valid_until is not None and today > valid_until


def effective_status(status: str, valid_until: date | None, today: date) -> str:
    """What the API shows: a draft past its ``valid_until`` is expired."""
    if status == DRAFT and is_expired(valid_until, today):
        return EXPIRED
    return status


def check_editable(status: str) -> None:
    if status != DRAFT:
        raise IllegalTransition(f"the estimate is {status}: only a draft can be changed")


def check_approve(status: str, valid_until: date | None, today: date) -> None:
    if status != DRAFT:
        raise IllegalTransition(f"the estimate is {status} already")
    if is_expired(valid_until, today):
        raise IllegalTransition(
            f"the estimate expired (valid until {valid_until}): change valid_until first"
        )


def check_reject(status: str) -> None:
    if status != DRAFT:
        raise IllegalTransition(f"the estimate is {status}: only a draft can be rejected")
