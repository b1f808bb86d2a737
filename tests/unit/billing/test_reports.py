"""The reports' arithmetic (``domain/reports.py``): aging buckets, payment discipline, DSO."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from services.billing.domain.reports import (
    PaidInvoice,
    aging_bucket,
    bucket_edges,
    discipline,
    discipline_of,
    dso,
)

D = Decimal


def test_aging_and_discipline() -> None:
    as_of = date(2037, 12, 31)
    assert aging_bucket(date(2037, 12, 31), as_of) == "current"
    assert aging_bucket(date(2037, 12, 1), as_of) == "1_30"
    assert aging_bucket(date(2037, 11, 30), as_of) == "31_60"
    assert aging_bucket(date(2037, 10, 15), as_of) == "61_90"
    assert aging_bucket(date(2037, 9, 1), as_of) == "90_plus"
    result = discipline(
        [
            PaidInvoice(date(2037, 1, 10), date(2037, 1, 9)),
            PaidInvoice(date(2037, 1, 10), date(2037, 1, 20)),
            PaidInvoice(date(2037, 1, 10), date(2037, 1, 15)),
        ]
    )
    assert (result.invoices_paid, result.on_time_share, result.average_days_late) == (
        3,
        D("0.3333"),
        D("7.5"),
    )
    # the same from the counts a database makes: 3 paid, 2 late by 15 days in all
    assert discipline_of(3, 2, 15) == result
    assert discipline_of(2, 0, 0) == discipline(
        [PaidInvoice(date(2037, 1, 10), date(2037, 1, 10))] * 2
    )
    assert discipline_of(0, 0, 0) == discipline([])
    assert (discipline_of(0, 0, 0).on_time_share, discipline_of(0, 0, 0).average_days_late) == (
        None,
        None,
    )
    assert discipline_of(20, 20, 1).average_days_late == D("0.1")  # 0.05: half-up, not even
    assert dso(D(500), D(3000), 90) == D("15.0")
    assert dso(D(500), D(0), 90) is None
    assert dso(D(1), D(4), 5) == D("1.3")  # 1.25 days: a tie rounds half-up, not to even
    # 9.75 days exactly: dividing first (13 / 120 = 0.10833..., rounded) gave 9.7499...
    assert dso(D(13), D(120), 90) == D("9.8")
    assert dso(D("170.00"), D("240.00"), 90) == D("63.8")  # 63.75


def test_bucket_edges_split_the_due_dates_where_the_bucket_changes() -> None:
    # the ageing report sums per interval between the edges of each day that may be a
    # client's today, and buckets the sum by the interval's start
    days = [date(2031, 3, 1), date(2031, 3, 2), date(2031, 3, 3)]
    edges = sorted({edge for day in days for edge in bucket_edges(day)})
    assert bucket_edges(days[0]) == [
        date(2031, 3, 1),
        date(2031, 1, 30),
        date(2030, 12, 31),
        date(2030, 12, 1),
    ]
    for offset in range(-120, 30):
        due = days[0] + timedelta(days=offset)
        start = max((e for e in edges if e <= due), default=edges[0] - timedelta(days=1))
        for day in days:
            assert aging_bucket(due, day) == aging_bucket(start, day), (due, day)
    # the calendar's first days: no edge before it (?as_of=0001-01-01 is no 500)
    assert bucket_edges(date(1, 2, 1)) == [date(1, 2, 1), date(1, 1, 2), date.min, date.min]
