"""The scorecard's pure rules: periods (in a timezone, the previous one, a year earlier
across leap years), NPS, CSAT, compliance, medians, change, money per currency, tallies that
add up before ratios, and the deviations of the scheduled reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from services.notifications.domain.scorecard.deviations import churned, overdue_grew, sla_fell
from services.notifications.domain.scorecard.kpis import (
    Tally,
    change,
    compliance,
    csat,
    median,
    merge_money,
    money_change,
    nps,
)
from services.notifications.domain.scorecard.periods import (
    completed_span,
    previous,
    same_day_a_year_earlier,
    span_of,
    utc_bounds,
    year_earlier,
)
from services.notifications.domain.scorecard.reports import ReportPolicy, report_policy
from shared.clock import local_date


@pytest.mark.parametrize(
    ("period", "day", "start", "end", "label"),
    [
        ("day", date(2026, 3, 5), date(2026, 3, 5), date(2026, 3, 6), "2026-03-05"),
        ("week", date(2026, 3, 5), date(2026, 3, 2), date(2026, 3, 9), "2026-W10"),
        ("week", date(2027, 1, 1), date(2026, 12, 28), date(2027, 1, 4), "2026-W53"),
        ("month", date(2024, 2, 10), date(2024, 2, 1), date(2024, 3, 1), "2024-02"),
        ("month", date(2026, 12, 31), date(2026, 12, 1), date(2027, 1, 1), "2026-12"),
        ("quarter", date(2026, 11, 30), date(2026, 10, 1), date(2027, 1, 1), "2026-Q4"),
        ("quarter", date(2026, 2, 1), date(2026, 1, 1), date(2026, 4, 1), "2026-Q1"),
    ],
)
def test_periods(period: str, day: date, start: date, end: date, label: str) -> None:
    span = span_of(period, day)  # type: ignore[arg-type]
    assert (span.start, span.end, span.label) == (start, end, label)


def test_previous_periods() -> None:
    assert previous(span_of("day", date(2026, 3, 1))).start == date(2026, 2, 28)
    assert previous(span_of("week", date(2026, 1, 1))).start == date(2025, 12, 22)
    assert previous(span_of("month", date(2026, 1, 15))).start == date(2025, 12, 1)
    assert previous(span_of("quarter", date(2026, 2, 15))).start == date(2025, 10, 1)
    assert completed_span("week", date(2026, 11, 30)).start == date(2026, 11, 23)
    assert completed_span("month", date(2026, 12, 1)).label == "2026-11"


def test_a_year_earlier_across_leap_years() -> None:
    assert same_day_a_year_earlier(date(2024, 2, 29)) == date(2023, 2, 28)
    assert same_day_a_year_earlier(date(2025, 3, 1)) == date(2024, 3, 1)
    assert year_earlier(span_of("day", date(2024, 2, 29))).start == date(2023, 2, 28)
    # February of a leap year against the February before: 29 days against 28
    feb = year_earlier(span_of("month", date(2024, 2, 29)))
    assert (feb.start, feb.end) == (date(2023, 2, 1), date(2023, 3, 1))
    assert year_earlier(span_of("quarter", date(2024, 2, 29))).start == date(2023, 1, 1)
    # ISO week 53 of 2026 has no twin in 2025 (52 weeks): its last week
    assert year_earlier(span_of("week", date(2026, 12, 31))).label == "2025-W52"
    assert year_earlier(span_of("week", date(2026, 3, 5))).label == "2025-W10"


def test_period_boundaries_in_the_readers_timezone() -> None:
    span = span_of("day", date(2026, 3, 29))  # Europe/Berlin moves to summer time that day
    start, end = utc_bounds(span, "Europe/Berlin")
    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # a 23-hour day
    moscow = utc_bounds(span_of("month", date(2026, 11, 5)), "Europe/Moscow")
    assert moscow[0] == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert local_date(datetime(2026, 11, 30, 22, 30, tzinfo=UTC), "Europe/Moscow") == date(
        2026, 12, 1
    )


def test_nps_csat_compliance_median() -> None:
    assert nps([10, 9, 8, 7, 6, 0]) == Decimal("0.0")
    assert nps([10, 10, 9, 3]) == Decimal("50.0")
    assert nps([1, 2, 3]) == Decimal("-100.0")
    assert nps([]) is None
    assert csat([5, 4, 3]) == Decimal("66.7")
    assert csat([]) is None
    assert compliance(9, 10) == Decimal("90.0")
    assert compliance(0, 0) is None
    assert median([30, 10, 20]) == Decimal("20.0")
    assert median([10, 20, 30, 45]) == Decimal("25.0")
    assert median([]) is None


def test_change() -> None:
    assert change(12, 10) == {"delta": Decimal(2), "percent": Decimal("20.0")}
    assert change(Decimal("-5"), Decimal("-10")) == {
        "delta": Decimal(5),
        "percent": Decimal("50.0"),
    }
    assert change(3, 0) == {"delta": Decimal(3), "percent": None}
    assert change(None, 1) == {"delta": None, "percent": None}


def test_money_is_never_summed_across_currencies() -> None:
    total = merge_money([{"EUR": Decimal("10.50")}, {"USD": Decimal(3)}, {"EUR": Decimal("1")}])
    assert total == {"EUR": Decimal("11.50"), "USD": Decimal(3)}
    assert money_change({"EUR": Decimal(5)}, {"RUB": Decimal(7)}) == {
        "EUR": Decimal(5),
        "RUB": Decimal(-7),
    }


def test_tallies_add_up_before_ratios() -> None:
    a, b = Tally(), Tally()
    a.nps_scores += [10, 10]
    b.nps_scores += [0]
    a.count("answered_on_time", 3)
    b.count("breached", 1)
    a.response_minutes += [10]
    b.response_minutes += [30, 50]
    a.money_in("revenue_invoiced", "EUR", Decimal(100))
    b.money_in("revenue_invoiced", "USD", Decimal(5))
    values = Tally().add(a).add(b).values()
    assert values["nps"] == Decimal("33.3")  # not the mean of 100 and -100
    assert values["nps_responses"] == 3
    assert values["sla_compliance"] == Decimal("75.0")
    assert values["median_first_response_minutes"] == Decimal("30.0")
    assert values["revenue_invoiced"] == {"EUR": Decimal(100), "USD": Decimal(5)}
    assert Tally().values()["sla_compliance"] is None


def test_deviations() -> None:
    assert sla_fell("Ann", Decimal(80), Decimal(90)) is not None
    assert sla_fell("Ann", Decimal(88), Decimal(90)) is None  # under 5 points
    assert sla_fell("Ann", None, Decimal(90)) is None
    assert sla_fell("Ann", Decimal(95), Decimal(90)) is None
    grew = overdue_grew(
        "Acme", {"EUR": Decimal(50), "USD": Decimal(1)}, {"EUR": Decimal(20), "USD": Decimal(1)}
    )
    assert grew is not None and list(grew.detail) == ["EUR"]
    assert overdue_grew("Acme", {"EUR": Decimal(10)}, {"EUR": Decimal(20)}) is None
    assert [d.subject for d in churned(["A", "B"])] == ["A", "B"]


def test_report_policy_of_a_department_over_the_environment() -> None:
    default = ReportPolicy(time(7, 0), ("day", "week", "month"), Decimal(5))
    documents = {
        "": {"scorecard_deviation_points": 2.5},
        "north": {"report_schedules": {"local_time": "18:30", "periods": ["week"]}},
    }
    assert report_policy({}, "north", default) == default
    assert report_policy(documents, None, default) == ReportPolicy(
        time(7, 0), ("day", "week", "month"), Decimal("2.5")
    )
    assert report_policy(documents, "north", default) == ReportPolicy(
        time(18, 30), ("week",), Decimal("2.5")
    )
