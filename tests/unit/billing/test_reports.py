"""The reports' arithmetic (``domain/reports.py``): aging buckets, payment discipline, DSO."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.billing.domain.reports import PaidInvoice, aging_bucket, discipline, dso

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
    assert dso(D(500), D(3000), 90) == D("15.0")
    assert dso(D(500), D(0), 90) is None
    assert dso(D(1), D(4), 5) == D("1.3")  # 1.25 days: a tie rounds half-up, not to even
