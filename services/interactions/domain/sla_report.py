"""The figures of the SLA report from what the database counted of a group of requests (one
account manager's, or all): counts, compliance and the median and p90 of the first-response
and call-back minutes. The store classifies and counts the requests in SQL
(``store/reports.py``); this is the arithmetic over those counts, in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.interactions.domain import calls, stats


@dataclass(frozen=True)
class SlaCounts:
    """Of a group of requests (closed ones left out): all of them, those answered, those
    answered on time (not breached, answered by the due date), those breached (flagged, past
    due while open at the report's instant, or answered late) and those breached without an
    answer (flagged, or past due while open), and the missed calls among them."""

    requests: int = 0
    answered: int = 0
    answered_on_time: int = 0
    breached: int = 0
    unanswered_breached: int = 0
    missed_calls: int = 0

    def __add__(self, other: SlaCounts) -> SlaCounts:
        return SlaCounts(
            self.requests + other.requests,
            self.answered + other.answered,
            self.answered_on_time + other.answered_on_time,
            self.breached + other.breached,
            self.unanswered_breached + other.unanswered_breached,
            self.missed_calls + other.missed_calls,
        )


def total(groups: Iterable[SlaCounts]) -> SlaCounts:
    return sum(groups, SlaCounts())


def callback_minutes(
    missed: Iterable[tuple[datetime, datetime | None]],
) -> list[int]:
    """The clock minutes the callers of the missed calls (``(opened_at, answered_at)``)
    waited for the call back, of those called back."""
    return [
        calls.callback_minutes(opened, answered)
        for opened, answered in missed
        if answered is not None
    ]


def sla_figures(
    counts: SlaCounts, minutes: Mapping[float, int], callbacks: Sequence[float]
) -> dict[str, Any]:
    """The report's figures of one group: ``minutes`` are the first-response business
    minutes of its answered requests (how many took each: ``{minutes: requests}``),
    ``callbacks`` the call-back minutes of its missed calls (:func:`callback_minutes`). Open:
    neither answered nor breached; compliance: on time of the requests decided (answered, or
    breached without an answer)."""
    open_ = counts.requests - counts.answered - counts.unanswered_breached
    return {
        "requests": counts.requests,
        "answered": counts.answered,
        "answered_on_time": counts.answered_on_time,
        "breached": counts.breached,
        "open": open_,
        "compliance_pct": stats.pct(counts.answered_on_time, counts.requests - open_),
        "first_response_minutes": {
            "median": stats.median_of(minutes),
            "p90": stats.p90_of(minutes),
        },
        "missed_calls": counts.missed_calls,
        "callback_minutes": {"median": stats.median(callbacks), "p90": stats.p90(callbacks)},
    }
