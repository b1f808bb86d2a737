"""The figures of the SLA report from what the database counted of a group of requests (one
account manager's, or all): counts, compliance and the median and p90 of the first-response
and call-back minutes. The store classifies and counts the requests in SQL
(``store/reports.py``; on PostgreSQL the medians and p90s too, by the rules of
:class:`Spread`); this is the arithmetic over those counts, in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


@dataclass(frozen=True)
class Spread:
    """The median (the mean of the two middle values for an even count) and the nearest-rank
    90th percentile of some minutes; None when there are none. PostgreSQL computes the same
    with ``percentile_cont(0.5)`` and ``percentile_disc(0.9)``."""

    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, counts: Mapping[float, int]) -> Spread:
        """Of minutes given as how many took each (``{minutes: count}``)."""
        return cls(stats.median_of(counts), stats.p90_of(counts))

    def out(self) -> dict[str, float | None]:
        return {"median": self.median, "p90": self.p90}


@dataclass(frozen=True)
class SlaGroup:
    """What the report shows of a group of requests: its counts, the spread of the
    first-response business minutes of those answered and of the clock minutes the callers
    of its missed calls waited for a call back (of those called back)."""

    counts: SlaCounts
    first_response: Spread = Spread()
    callbacks: Spread = Spread()


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


def sla_figures(group: SlaGroup) -> dict[str, Any]:
    """The report's figures of one group. Open: neither answered nor breached; compliance: on
    time of the requests decided (answered, or breached without an answer)."""
    counts = group.counts
    open_ = counts.requests - counts.answered - counts.unanswered_breached
    return {
        "requests": counts.requests,
        "answered": counts.answered,
        "answered_on_time": counts.answered_on_time,
        "breached": counts.breached,
        "open": open_,
        "compliance_pct": stats.pct(counts.answered_on_time, counts.requests - open_),
        "first_response_minutes": group.first_response.out(),
        "missed_calls": counts.missed_calls,
        "callback_minutes": group.callbacks.out(),
    }
