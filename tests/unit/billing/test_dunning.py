"""The dunning plan of an invoice against an injected day: steps once each, escalation,
partial payments not restarting it, a promise pausing it, kept or broken."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.dunning import (
    BROKEN,
    KEPT,
    PENDING,
    Plan,
    ScheduleError,
    Terms,
    parse_schedule,
    plan,
    promise_outcome,
    terms,
)

DUE = date(2037, 12, 1)  # a Tuesday, far from any real today
SCHEDULE = (-3, 1, 7, 14, 30)


class Invoice:
    """The state the scan keeps on an invoice, advanced day by day like the scan does."""

    def __init__(self) -> None:
        self.last_step: int | None = None
        self.overdue_sent = False
        self.promised_on: date | None = None
        self.promise_state: str | None = None
        self.log: list[tuple[date, str]] = []

    def scan(self, today: date) -> Plan:
        p = plan(
            due_date=DUE,
            today=today,
            schedule=SCHEDULE,
            escalate_from=14,
            last_step=self.last_step,
            overdue_sent=self.overdue_sent,
            promised_on=self.promised_on,
            promise_state=self.promise_state,
        )
        if p.overdue:
            self.log.append((today, "overdue"))
            self.overdue_sent = True
        if p.reminder:
            tag = "!" if p.reminder.escalate else ""
            self.log.append((today, f"step {p.reminder.step}{tag} ({p.reminder.days_overdue})"))
        if p.promise_broken:
            self.log.append((today, "promise broken"))
        self.last_step, self.promise_state = p.last_step, p.promise_state
        return p

    def run(self, first: date, last: date) -> None:
        day = first
        while day <= last:
            self.scan(day)
            day += timedelta(days=1)


def d(offset: int) -> date:
    return DUE + timedelta(days=offset)


def test_each_step_once_with_escalation_from_14_days() -> None:
    invoice = Invoice()
    invoice.run(d(-10), d(60))
    assert invoice.log == [
        (d(-3), "step -3 (0)"),
        (d(1), "overdue"),
        (d(1), "step 1 (1)"),
        (d(7), "step 7 (7)"),
        (d(14), "step 14! (14)"),
        (d(30), "step 30! (30)"),
    ]


def test_scanning_twice_a_day_changes_nothing() -> None:
    invoice = Invoice()
    invoice.scan(d(1))
    again = invoice.scan(d(1))
    assert again.reminder is None and not again.overdue
    assert again.next_action_on == d(7)


def test_a_late_first_scan_sends_only_the_latest_step() -> None:
    invoice = Invoice()
    invoice.scan(d(20))
    assert invoice.log == [(d(20), "overdue"), (d(20), "step 14! (20)")]
    assert invoice.scan(d(20)).next_action_on == d(30)


def test_partial_payment_does_not_restart_the_schedule() -> None:
    # A partial payment changes the balance, not the state the plan counts from.
    invoice = Invoice()
    invoice.run(d(-3), d(7))
    invoice.run(d(8), d(14))  # partly paid on d(8): the schedule goes on at 14
    assert invoice.log[-1] == (d(14), "step 14! (14)")


def test_promise_pauses_reminders_and_broken_resumes_them() -> None:
    invoice = Invoice()
    invoice.run(d(-3), d(2))
    invoice.promised_on, invoice.promise_state = d(10), PENDING
    invoice.run(d(3), d(10))
    assert invoice.log[-1] == (d(1), "step 1 (1)")  # step 7 paused
    assert invoice.scan(d(10)).next_action_on == d(11)
    invoice.run(d(11), d(14))
    assert invoice.log[-3:] == [
        (d(11), "step 7 (11)"),
        (d(11), "promise broken"),
        (d(14), "step 14! (14)"),
    ]
    assert invoice.promise_state == BROKEN


def test_promise_kept() -> None:
    invoice = Invoice()
    invoice.promised_on, invoice.promise_state = d(5), PENDING
    invoice.run(d(-5), d(5))
    assert invoice.log == [(d(1), "overdue")]  # no reminders while the promise stands
    # paid in full on d(4): the invoice leaves the scan; the promise was kept
    assert promise_outcome(d(5), d(4), d(6)) == KEPT
    assert promise_outcome(d(5), None, d(6)) == BROKEN
    assert promise_outcome(d(5), None, d(5)) == PENDING
    assert promise_outcome(d(5), d(6), d(7)) == BROKEN


def test_nothing_left_after_the_last_step() -> None:
    invoice = Invoice()
    invoice.run(d(-3), d(30))
    assert invoice.scan(d(31)).next_action_on is None


def test_parse_schedule() -> None:
    assert parse_schedule("-3,1,7,14,30") == (-3, 1, 7, 14, 30)
    assert parse_schedule(" 7, 1 ,1") == (1, 7)
    for bad in ("", "a,b", "1,400"):
        with pytest.raises(ScheduleError):
            parse_schedule(bad)


@given(
    st.lists(st.integers(-30, 90), min_size=1, max_size=6, unique=True),
    st.lists(st.integers(-40, 120), min_size=1, max_size=30),
)
def test_every_step_at_most_once_in_order(schedule: list[int], scan_days: list[int]) -> None:
    steps = tuple(sorted(schedule))
    last: int | None = None
    sent: list[int] = []
    overdue_sent = False
    next_on: date | None = d(-1000)
    for day in sorted(scan_days):
        p = plan(
            due_date=DUE,
            today=d(day),
            schedule=steps,
            escalate_from=14,
            last_step=last,
            overdue_sent=overdue_sent,
            promised_on=None,
            promise_state=None,
        )
        if next_on is None or d(day) < next_on:
            assert p.reminder is None and not p.overdue  # the index may skip this row
        if p.reminder:
            sent.append(p.reminder.step)
            assert d(p.reminder.step) <= d(day)
        overdue_sent = overdue_sent or p.overdue
        last, next_on = p.last_step, p.next_action_on
    assert sent == sorted(set(sent))


def test_terms_of_a_department_over_the_global_policy_over_the_environment() -> None:
    default = Terms(SCHEDULE, 14)
    documents = {
        "": {"dunning_escalate_from_days": 7},
        "north": {"dunning_schedule": [5, 1, 3]},
    }
    assert terms({}, "north", default) == default
    assert terms(documents, None, default) == Terms(SCHEDULE, 7)
    assert terms(documents, "north", default) == Terms((1, 3, 5), 7)
    assert terms(documents, "south", default) == Terms(SCHEDULE, 7)
