"""Pure arithmetic of the billing reports: ageing buckets, payment discipline, DSO."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from shared.money import round_half_up

# The reports of ``GET /api/v1/reports/<name>`` (their JSON's ``report``).
ReportName = Literal["aging", "revenue", "ltv", "payment-discipline", "pipeline"]
BUCKETS = ("current", "1_30", "31_60", "61_90", "90_plus")


# The most days overdue of each bucket but the last ("current": not overdue yet).
LIMITS = (0, 30, 60, 90)


def aging_bucket(due_date: date, as_of: date) -> str:
    days = (as_of - due_date).days
    for bucket, limit in zip(BUCKETS, LIMITS, strict=False):
        if days <= limit:
            return bucket
    return BUCKETS[-1]


def bucket_edges(as_of: date) -> list[date]:
    """The due dates at which the bucket on ``as_of`` changes (the earliest due date of each
    bucket but the last): the due dates from one edge to the next share their bucket, so a
    report can sum them per interval and take the bucket of the interval's start. An edge
    before the calendar's first day is that day (no due date is before it)."""
    first = date.min.toordinal()
    return [date.fromordinal(max(first, as_of.toordinal() - limit)) for limit in LIMITS]


@dataclass(frozen=True)
class PaidInvoice:
    due_date: date
    paid_on: date


@dataclass(frozen=True)
class Discipline:
    invoices_paid: int
    on_time_share: Decimal | None  # fraction, 4 decimals
    average_days_late: Decimal | None  # over the late ones, 1 decimal


def discipline(paid: Sequence[PaidInvoice]) -> Discipline:
    late = [(p.paid_on - p.due_date).days for p in paid if p.paid_on > p.due_date]
    return discipline_of(len(paid), len(late), sum(late))


def discipline_of(paid: int, late: int, days_late: int) -> Discipline:
    """:func:`discipline` of ``paid`` invoices, ``late`` of them paid after their due date
    by ``days_late`` days in all (what a database counts)."""
    if not paid:
        return Discipline(0, None, None)
    on_time = Decimal(paid - late) / Decimal(paid)
    average = round_half_up(Decimal(days_late) / Decimal(late), 1) if late else Decimal("0.0")
    return Discipline(paid, round_half_up(on_time, 4), average)


def dso(receivables: Decimal, invoiced: Decimal, days: int) -> Decimal | None:
    """Days sales outstanding: receivables / sales over the period x its days (1 decimal).

    Multiplied before it is divided: a quotient that ends is then exact, and a tie rounds
    half-up, where dividing first rounds the quotient to 28 digits and can land a hair below
    the tie (13 of 120 over 90 days: 9.75 days came out 9.7, now 9.8)."""
    if invoiced <= 0:
        return None
    return round_half_up(receivables * days / invoiced, 1)
