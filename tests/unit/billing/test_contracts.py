"""Contract renewal dates across month ends and leap years, the notice day."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.billing.domain.contracts import (
    ContractDatesError,
    add_months,
    notice_on,
    renewal,
    term_of,
)


@pytest.mark.parametrize(
    ("starts", "ends", "renewed"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), (date(2027, 1, 1), date(2027, 12, 31))),
        (date(2023, 3, 1), date(2024, 2, 29), (date(2024, 3, 1), date(2025, 2, 28))),
        (date(2024, 3, 1), date(2025, 2, 28), (date(2025, 3, 1), date(2026, 2, 28))),
        (date(2027, 3, 1), date(2028, 2, 29), (date(2028, 3, 1), date(2029, 2, 28))),
        (date(2026, 2, 1), date(2026, 2, 28), (date(2026, 3, 1), date(2026, 3, 31))),
        (date(2024, 1, 1), date(2024, 3, 31), (date(2024, 4, 1), date(2024, 6, 30))),
        # "same day of month" terms keep the start's day where the month has it
        (date(2026, 1, 31), date(2026, 2, 28), (date(2026, 3, 1), date(2026, 3, 31))),
        (date(2024, 2, 29), date(2025, 2, 28), (date(2025, 3, 1), date(2026, 2, 28))),
        (date(2026, 1, 15), date(2026, 2, 15), (date(2026, 2, 16), date(2026, 3, 15))),
        # not whole months: the same number of days
        (date(2026, 1, 1), date(2026, 1, 10), (date(2026, 1, 11), date(2026, 1, 20))),
    ],
)
def test_renewal(starts: date, ends: date, renewed: tuple[date, date]) -> None:
    assert renewal(starts, ends) == renewed


def test_add_months_clamps() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_dates_must_be_ordered() -> None:
    with pytest.raises(ContractDatesError):
        term_of(date(2026, 1, 1), date(2026, 1, 1))
    assert notice_on(date(2026, 12, 31), 30) == date(2026, 12, 1)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    st.integers(1, 36),
    st.booleans(),
)
@example(date(2000, 10, 31), 28, False)
def test_whole_month_terms_renew_for_the_same_months(
    start: date, months: int, inclusive: bool
) -> None:
    end = add_months(start, months) - timedelta(days=1 if inclusive else 0)
    new_start, new_end = renewal(start, end)
    assert new_start == end + timedelta(days=1)  # no gap, no overlap
    assert new_end > new_start
    if inclusive:  # 1 Mar - 28 Feb: the next period is whole months again
        assert term_of(new_start, new_end).months == months
    else:  # 15 Jan - 15 Feb: ends the same months later, on the start's day where it exists
        assert (new_end.year - end.year) * 12 + new_end.month - end.month == months
        # the start's day, clamped to a shorter month (31 Oct 2000 + 28 months ends 28 Feb
        # 2003, renewed to 30 Jun 2005: June has no 31st)
        start_day = min(start.day, calendar.monthrange(new_end.year, new_end.month)[1])
        assert new_end.day in (end.day, start_day) or new_end == add_months(end, months)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(1, 2000))
def test_every_renewal_follows_on(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    new_start, new_end = renewal(start, end)
    assert new_start == end + timedelta(days=1) and new_end > new_start
