"""The first-response SLA (services/interactions/domain/sla.py): due dates in working hours,
over weekends, over public holidays (Easter in Germany), across DST changes and 24x7; holds
that span a weekend; the at-risk instant; and hypothesis properties of each.

Expected instants are worked out by hand. Berlin: CET = UTC+1, CEST = UTC+2 (2026: from Sun
29 Mar). Easter 2026: Good Friday 3 Apr, Easter Monday 6 Apr (public holidays in DE).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.interactions.domain.sla import (
    HoldError,
    at_risk_at,
    at_risk_minutes,
    calendar_of,
    check_close,
    check_hold,
    check_resume,
    due_at,
    elapsed_fraction,
    first_response_minutes,
    is_breached,
    resume,
    view_status,
)
from shared.calendar import BusinessCalendar, business_minutes_between, parse_calendar

OFFICE = {
    "mon": ["09:00", "18:00"],
    "tue": ["09:00", "18:00"],
    "wed": ["09:00", "18:00"],
    "thu": ["09:00", "18:00"],
    "fri": ["09:00", "18:00"],
}
BERLIN_DE = parse_calendar(
    {"timezone": "Europe/Berlin", "working_hours": OFFICE, "holidays_country": "DE"}
)
BERLIN_24X7 = parse_calendar({"timezone": "Europe/Berlin", "working_hours": "24x7"})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------- due dates


def test_within_working_hours() -> None:
    # Mon 23 Nov 2026 11:00 CET + 60 business minutes = 12:00 CET
    assert due_at(utc(2026, 11, 23, 10), 60, BERLIN_DE) == utc(2026, 11, 23, 11)


def test_before_opening_counts_from_opening() -> None:
    # 08:00 CET: the clock starts at 09:00 CET
    assert due_at(utc(2026, 11, 23, 7), 60, BERLIN_DE) == utc(2026, 11, 23, 9)


def test_after_closing_counts_from_next_morning() -> None:
    # Mon 19:00 CET -> Tue 09:00 + 2 h
    assert due_at(utc(2026, 11, 23, 18), 120, BERLIN_DE) == utc(2026, 11, 24, 10)


def test_over_a_weekend() -> None:
    # Fri 27 Nov 17:30 CET: 30 minutes on Friday, 30 on Monday 30 Nov from 09:00 CET
    assert due_at(utc(2026, 11, 27, 16, 30), 60, BERLIN_DE) == utc(2026, 11, 30, 8, 30)


def test_over_easter_in_germany() -> None:
    # Thu 2 Apr 2026 17:00 CEST: 60 minutes on Thursday; Good Friday, the weekend and Easter
    # Monday are off; 180 minutes on Tue 7 Apr from 09:00 CEST -> 12:00 CEST = 10:00 UTC
    assert due_at(utc(2026, 4, 2, 15), 240, BERLIN_DE) == utc(2026, 4, 7, 10)


def test_without_holidays_easter_is_a_working_friday() -> None:
    plain = parse_calendar({"timezone": "Europe/Berlin", "working_hours": OFFICE})
    # 60 minutes Thursday, 180 on Good Friday from 09:00 CEST
    assert due_at(utc(2026, 4, 2, 15), 240, plain) == utc(2026, 4, 3, 10)


def test_across_spring_forward() -> None:
    # Fri 27 Mar 2026 17:00 CET (16:00 UTC): 60 min on Friday; Mon 30 Mar 09:00 is CEST
    # (07:00 UTC) + 60 minutes -> 08:00 UTC
    assert due_at(utc(2026, 3, 27, 16), 120, BERLIN_DE) == utc(2026, 3, 30, 8)


def test_across_fall_back() -> None:
    # Fri 23 Oct 2026 17:00 CEST (15:00 UTC): 60 min Friday; Mon 26 Oct 09:00 CET = 08:00 UTC
    assert due_at(utc(2026, 10, 23, 15), 120, BERLIN_DE) == utc(2026, 10, 26, 9)


def test_24x7_counts_elapsed_time_across_dst() -> None:
    # 24x7 in Berlin over the night the clocks jump: 240 minutes are 4 real hours
    assert due_at(utc(2026, 3, 28, 23), 240, BERLIN_24X7) == utc(2026, 3, 29, 3)
    # and holidays do not matter for 24x7
    with_holidays = parse_calendar(
        {"timezone": "Europe/Berlin", "working_hours": "24x7", "holidays_country": "DE"}
    )
    assert due_at(utc(2026, 4, 3, 10), 60, with_holidays) == utc(2026, 4, 3, 11)


def test_calendar_of_replica_sla() -> None:
    sla = {
        "first_response_minutes": 60,
        "calendar": {
            "timezone": "Europe/Berlin",
            "working_hours": OFFICE,
            "holidays_country": "DE",
        },
    }
    assert calendar_of(sla) == BERLIN_DE
    assert first_response_minutes(sla) == 60
    # no (usable) calendar: 24x7 UTC, and a default target
    assert calendar_of({}).is_24x7
    assert calendar_of({"calendar": {"timezone": "Nowhere/Else"}}).is_24x7
    assert first_response_minutes({"first_response_minutes": True}) == 240


# ---------------------------------------------------------------- at risk


def test_at_risk_minutes() -> None:
    assert at_risk_minutes(240, 0.75) == 180
    assert at_risk_minutes(1, 0.75) == 1
    assert at_risk_minutes(10, 0.01) == 1
    assert at_risk_minutes(7, 0.5) == 4  # rounded up
    with pytest.raises(ValueError):
        at_risk_minutes(10, 0)


def test_at_risk_instant_in_business_time() -> None:
    # Fri 17:00 CET + 180 of 240 minutes: 60 on Friday, 120 on Monday -> Mon 11:00 CET
    assert at_risk_at(utc(2026, 11, 27, 16), 240, 0.75, BERLIN_DE) == utc(2026, 11, 30, 10)


def test_elapsed_fraction() -> None:
    opened, due = utc(2026, 11, 27, 16), utc(2026, 11, 30, 11)  # 240 business minutes
    assert elapsed_fraction(opened, due, utc(2026, 11, 29, 12), BERLIN_DE) == 0.25
    assert elapsed_fraction(opened, due, utc(2026, 11, 30, 10), BERLIN_DE) == 0.75


# ---------------------------------------------------------------- holds


def test_hold_spanning_a_weekend_moves_the_due_date_by_business_time() -> None:
    # Opened Fri 27 Nov 09:00 CET, 240 minutes: due Fri 13:00 CET. Held from Fri 10:00 CET
    # to Mon 30 Nov 11:00 CET: 480 + 120 = 600 business minutes on hold. The 180 minutes left
    # at the hold run from Mon 11:00 CET: due Mon 14:00 CET = 13:00 UTC.
    opened = utc(2026, 11, 27, 8)
    due = due_at(opened, 240, BERLIN_DE)
    assert due == utc(2026, 11, 27, 12)
    risk = at_risk_at(opened, 240, 0.75, BERLIN_DE)  # Fri 12:00 CET
    resumed = resume(
        due=due,
        risk=risk,
        held_since=utc(2026, 11, 27, 9),
        resumed_at=utc(2026, 11, 30, 10),
        on_hold_minutes=15,
        calendar=BERLIN_DE,
    )
    assert resumed.held_minutes == 600
    assert resumed.on_hold_minutes == 615
    assert resumed.due_at == utc(2026, 11, 30, 13)
    assert resumed.at_risk_at == utc(2026, 11, 30, 12)  # 135 minutes left after Mon 11:00


def test_hold_entirely_outside_working_hours_moves_nothing() -> None:
    due = utc(2026, 11, 30, 13)
    resumed = resume(
        due=due,
        risk=due,
        held_since=utc(2026, 11, 28, 9),
        resumed_at=utc(2026, 11, 29, 20),
        on_hold_minutes=0,
        calendar=BERLIN_DE,
    )
    assert resumed.held_minutes == 0
    assert resumed.due_at == due


def test_an_at_risk_instant_already_passed_stays() -> None:
    risk, due = utc(2026, 11, 30, 9), utc(2026, 11, 30, 10)
    resumed = resume(
        due=due,
        risk=risk,
        held_since=utc(2026, 11, 30, 9, 30),
        resumed_at=utc(2026, 11, 30, 10, 30),
        on_hold_minutes=0,
        calendar=BERLIN_24X7,
    )
    assert resumed.at_risk_at == risk
    assert resumed.due_at == utc(2026, 11, 30, 11)


def test_any_request_but_a_closed_one_can_be_closed() -> None:
    for status in ("open", "on_hold", "acknowledged", "answered", "breached"):
        check_close(status)
    with pytest.raises(HoldError, match="closed already"):
        check_close("closed")


def test_hold_and_resume_need_the_right_state() -> None:
    check_hold("open")
    for status in ("on_hold", "acknowledged", "answered", "breached"):
        with pytest.raises(HoldError):
            check_hold(status)
    check_resume("on_hold")
    with pytest.raises(HoldError):
        check_resume("open")
    with pytest.raises(HoldError):
        resume(
            due=utc(2026, 1, 2),
            risk=utc(2026, 1, 2),
            held_since=utc(2026, 1, 2),
            resumed_at=utc(2026, 1, 1),
            on_hold_minutes=0,
            calendar=BERLIN_24X7,
        )


def test_status_and_breach_as_readers_see_them() -> None:
    due = utc(2026, 11, 30, 10)
    assert view_status("open", due, due - timedelta(seconds=1)) == "open"
    assert view_status("open", due, due) == "breached"
    assert view_status("on_hold", due, due + timedelta(days=1)) == "on_hold"
    assert view_status("answered", due, due + timedelta(days=1)) == "answered"
    assert not is_breached(False, "answered", due, due, due + timedelta(days=1))
    assert is_breached(False, "answered", due, due + timedelta(minutes=1), due)
    assert is_breached(True, "answered", due, due, due)
    assert is_breached(False, "open", due, None, due)
    assert not is_breached(False, "on_hold", due, None, due)


# ---------------------------------------------------------------- properties

minutes_aligned = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC))
calendars = st.sampled_from(
    [
        BERLIN_DE,
        BERLIN_24X7,
        parse_calendar(
            {"timezone": "America/New_York", "working_hours": OFFICE, "holidays_country": "US"}
        ),
        parse_calendar({"timezone": "Asia/Kolkata", "working_hours": {"sat": ["10:00", "14:00"]}}),
        BusinessCalendar(),
    ]
)


@settings(max_examples=150, deadline=None)
@given(opened=minutes_aligned, minutes=st.integers(1, 5000), calendar=calendars)
def test_due_date_is_exactly_the_target_in_business_minutes(
    opened: datetime, minutes: int, calendar: BusinessCalendar
) -> None:
    due = due_at(opened, minutes, calendar)
    assert due > opened
    assert business_minutes_between(opened, due, calendar) == minutes


@settings(max_examples=150, deadline=None)
@given(
    opened=minutes_aligned,
    minutes=st.integers(1, 5000),
    fraction=st.floats(0.01, 1.0),
    calendar=calendars,
)
def test_at_risk_comes_between_opening_and_due(
    opened: datetime, minutes: int, fraction: float, calendar: BusinessCalendar
) -> None:
    risk = at_risk_at(opened, minutes, fraction, calendar)
    assert opened < risk <= due_at(opened, minutes, calendar)


@settings(max_examples=150, deadline=None)
@given(
    opened=minutes_aligned,
    minutes=st.integers(1, 3000),
    hold_after=st.integers(0, 3000),
    hold_for=st.integers(0, 20000),
    calendar=calendars,
)
def test_a_hold_keeps_the_business_time_left(
    opened: datetime, minutes: int, hold_after: int, hold_for: int, calendar: BusinessCalendar
) -> None:
    due = due_at(opened, minutes, calendar)
    held_since = min(opened + timedelta(minutes=hold_after), due)
    resumed_at = held_since + timedelta(minutes=hold_for)
    result = resume(
        due=due,
        risk=due,
        held_since=held_since,
        resumed_at=resumed_at,
        on_hold_minutes=0,
        calendar=calendar,
    )
    left_at_hold = business_minutes_between(held_since, due, calendar)
    assert business_minutes_between(resumed_at, result.due_at, calendar) == left_at_hold
    assert result.held_minutes == business_minutes_between(held_since, resumed_at, calendar)
    assert result.due_at >= due
