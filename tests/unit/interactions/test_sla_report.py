"""The SLA report's figures from the counts the database grouped per manager."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.interactions.domain.sla_report import (
    SlaCounts,
    SlaGroup,
    Spread,
    callback_minutes,
    sla_figures,
    total,
)

T = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def test_figures_of_a_group() -> None:
    counts = SlaCounts(
        requests=7, answered=5, answered_on_time=4, breached=2, unanswered_breached=1
    )
    # first responses in minutes: 10, 20, 30, 30 and 90 (two took 30)
    first_response = Spread.of({10: 1, 20: 1, 30: 2, 90: 1})
    figures = sla_figures(SlaGroup(counts, first_response))
    assert figures["open"] == 1  # 7 - 5 answered - 1 breached unanswered
    assert figures["compliance_pct"] == 66.7  # 4 on time of the 6 decided
    assert figures["first_response_minutes"] == {"median": 30.0, "p90": 90.0}
    even = sla_figures(SlaGroup(counts, Spread.of({10: 2, 20: 0, 40: 2})))  # 10, 10, 40, 40
    assert even["first_response_minutes"] == {"median": 25.0, "p90": 40.0}
    assert figures["missed_calls"] == 0
    assert figures["callback_minutes"] == {"median": None, "p90": None}


def test_nothing_decided_has_no_compliance() -> None:
    figures = sla_figures(SlaGroup(SlaCounts(requests=2), Spread.of({})))
    assert figures["open"] == 2 and figures["compliance_pct"] is None
    assert figures["first_response_minutes"] == {"median": None, "p90": None}


def test_groups_add_up_to_the_total() -> None:
    mia = SlaCounts(3, 2, 1, 2, 1, 1)
    max_ = SlaCounts(1, 1, 1, 0, 0, 2)
    assert total([mia, max_]) == SlaCounts(4, 3, 2, 2, 1, 3)
    assert total([]) == SlaCounts()


def test_callback_minutes_of_the_calls_called_back() -> None:
    missed = [
        (T, T + timedelta(minutes=12, seconds=59)),
        (T, None),  # not called back yet
        (T, T - timedelta(minutes=1)),  # answered before it opened: never negative
    ]
    assert callback_minutes(missed) == [12, 0]
