"""The other pure rules of the interactions service: which interactions open a request,
promises, contact cadence, meeting reports, task deadlines, feedback scores and the
statistics of the reports (median, p90, NPS), with hypothesis properties where a rule has an
invariant."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.interactions.domain import cadence, feedback, interactions, meetings, stats, tasks
from services.interactions.domain.promises import PromiseError, check_promise, is_broken

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


# ---------------------------------------------------------------- interactions


@pytest.mark.parametrize(
    ("kind", "direction", "requires", "missed", "opens"),
    [
        ("email", "inbound", True, False, True),
        ("email", "inbound", False, False, False),
        ("call", "inbound", False, True, True),
        ("call", "inbound", False, False, False),
        ("email", "outbound", True, False, False),
        ("note", "internal", False, False, False),
        ("message", "inbound", True, False, True),
    ],
)
def test_which_interactions_open_a_request(
    kind: str, direction: str, requires: bool, missed: bool, opens: bool
) -> None:
    assert interactions.opens_request(kind, direction, requires, missed) is opens


def check(**overrides: object) -> dict[str, str]:
    values: dict = {
        "kind": "email",
        "direction": "inbound",
        "occurred_at": NOW,
        "now": NOW,
        "requires_response": False,
        "missed": False,
        "responds_to": None,
        "promise_by": None,
    }
    values.update(overrides)
    return interactions.problems(**values)


def test_interaction_problems() -> None:
    assert check() == {}
    assert check(occurred_at=NOW + timedelta(minutes=5)) == {}
    assert set(check(occurred_at=NOW + timedelta(minutes=6))) == {"occurred_at"}
    assert check(occurred_at=NOW - timedelta(days=400)) == {}
    assert set(check(kind="email", missed=True)) == {"missed"}
    assert set(check(kind="call", direction="outbound", missed=True)) == {"missed"}
    assert set(check(direction="outbound", requires_response=True)) == {"requires_response"}
    assert set(check(responds_to=uuid.uuid4())) == {"responds_to"}
    assert (
        check(direction="outbound", responds_to=uuid.uuid4(), promise_by=NOW + timedelta(hours=1))
        == {}
    )
    assert set(check(direction="outbound", promise_by=NOW)) == {"promise_by"}


# ---------------------------------------------------------------- promises


def test_promises() -> None:
    check_promise(NOW + timedelta(minutes=1), NOW)
    with pytest.raises(PromiseError):
        check_promise(NOW, NOW)
    with pytest.raises(PromiseError):
        check_promise(NOW - timedelta(hours=1), NOW)
    promised = NOW + timedelta(hours=4)
    assert not is_broken(None, None, NOW)
    assert not is_broken(promised, None, promised - timedelta(seconds=1))
    assert is_broken(promised, None, promised)
    assert not is_broken(promised, promised, promised + timedelta(days=1))
    assert is_broken(promised, promised + timedelta(seconds=1), promised)


@given(offset=st.integers(-10_000, 10_000), resolved=st.none() | st.integers(-10_000, 10_000))
def test_a_broken_promise_stays_broken(offset: int, resolved: int | None) -> None:
    promised = NOW
    resolved_at = None if resolved is None else NOW + timedelta(minutes=resolved)
    now = NOW + timedelta(minutes=offset)
    if is_broken(promised, resolved_at, now):
        assert is_broken(promised, resolved_at, now + timedelta(minutes=1))


# ---------------------------------------------------------------- cadence


def test_what_counts_as_contact() -> None:
    assert cadence.is_contact("email", "outbound")
    assert cadence.is_contact("call", "outbound")
    assert cadence.is_contact("meeting", "inbound")
    assert not cadence.is_contact("email", "inbound")
    assert not cadence.is_contact("note", "outbound")
    assert not cadence.is_contact("call", "outbound", missed=True)
    assert not cadence.is_contact("message", "internal")


def test_cadence_lapse() -> None:
    last = NOW
    due = cadence.contact_due_at(last, 7)
    assert due == NOW + timedelta(days=7)
    assert cadence.days_overdue(due, due) == 0
    assert cadence.days_overdue(due, due + timedelta(hours=23)) == 0
    assert cadence.days_overdue(due, due + timedelta(days=3, hours=1)) == 3
    assert cadence.later_contact(None, NOW) == NOW
    assert cadence.later_contact(NOW, NOW - timedelta(days=1)) == NOW
    client = uuid.uuid4()
    # one key per lapse: the same lapse always has the same key, the next lapse another
    assert cadence.lapse_key(client, due) == cadence.lapse_key(client, due)
    next_due = cadence.contact_due_at(NOW + timedelta(days=8), 7)
    assert cadence.lapse_key(client, next_due) != cadence.lapse_key(client, due)
    with pytest.raises(ValueError):
        cadence.contact_due_at(NOW, 0)


@given(contacts=st.lists(st.integers(0, 100_000), min_size=1, max_size=20))
def test_last_contact_is_the_latest_whatever_the_order(contacts: list[int]) -> None:
    last = None
    for minutes in contacts:
        last = cadence.later_contact(last, NOW + timedelta(minutes=minutes))
    assert last == NOW + timedelta(minutes=max(contacts))


# ---------------------------------------------------------------- meetings and tasks


def test_meeting_report_deadline() -> None:
    due = meetings.report_due_at(NOW, 24)
    assert due == NOW + timedelta(hours=24)
    assert meetings.on_time(due, due)
    assert not meetings.on_time(due + timedelta(seconds=1), due)
    assert meetings.is_overdue(due, None, due + timedelta(seconds=1))
    assert not meetings.is_overdue(due, None, due)
    assert not meetings.is_overdue(due, NOW, due + timedelta(days=1))
    assert meetings.meeting_report_hours({"meeting_report_hours": 12}) == 12
    assert meetings.meeting_report_hours({}) == 48


def test_task_deadline_moves() -> None:
    assert not tasks.check_move(NOW, NOW, None)
    assert tasks.check_move(NOW, NOW - timedelta(days=1), None)  # earlier: no reason needed
    assert tasks.check_move(NOW, NOW + timedelta(days=1), "waiting for the client")
    for reason in (None, "", "   "):
        with pytest.raises(tasks.ReasonRequired):
            tasks.check_move(NOW, NOW + timedelta(days=1), reason)
    assert tasks.is_overdue("open", NOW, NOW + timedelta(seconds=1))
    assert not tasks.is_overdue("done", NOW, NOW + timedelta(days=1))
    assert tasks.overdue_key("t", NOW) != tasks.overdue_key("t", NOW + timedelta(days=1))


# ---------------------------------------------------------------- feedback


def test_feedback_scores() -> None:
    assert feedback.check_score("nps", 0) is None
    assert feedback.check_score("nps", 10) is None
    assert feedback.check_score("nps", 11)
    assert feedback.check_score("csat", 0)
    assert feedback.check_score("csat", 5) is None
    assert [feedback.is_low("nps", s) for s in (6, 7)] == [True, False]
    assert [feedback.is_low("csat", s) for s in (2, 3)] == [True, False]
    assert [feedback.nps_group(s) for s in (6, 7, 8, 9)] == [
        "detractor",
        "passive",
        "passive",
        "promoter",
    ]


# ---------------------------------------------------------------- statistics


def test_median_and_p90() -> None:
    assert stats.median([]) is None
    assert stats.p90([]) is None
    assert stats.median([5]) == 5
    assert stats.median([3, 1, 2]) == 2
    assert stats.median([1, 2, 3, 10]) == 2.5
    assert stats.p90(list(range(1, 11))) == 9
    assert stats.p90(list(range(1, 101))) == 90
    assert stats.p90([7]) == 7
    assert stats.p90([1, 100]) == 100


def test_nps_and_percentages() -> None:
    assert stats.nps(5, 2, 10) == 30.0
    assert stats.nps(0, 3, 3) == -100.0
    assert stats.nps(0, 0, 0) is None
    assert stats.pct(2, 3) == 66.7
    assert stats.pct(0, 0) is None
    assert stats.mean([4, 5, 5]) == 4.67


values = st.lists(st.integers(0, 100_000), min_size=1, max_size=200)


@given(values)
def test_median_matches_the_standard_library(xs: list[int]) -> None:
    assert stats.median(xs) == statistics.median(xs)


@given(values, st.randoms())
def test_statistics_are_order_free_and_bounded(xs: list[int], rnd: object) -> None:
    shuffled = list(xs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert stats.median(shuffled) == stats.median(xs)
    assert stats.p90(shuffled) == stats.p90(xs)
    p90 = stats.p90(xs)
    assert p90 in xs
    assert min(xs) <= stats.median(xs) <= p90 <= max(xs)  # type: ignore[operator]
    # at least 90 % of the values are at or below p90, and fewer are strictly below it
    assert sum(x <= p90 for x in xs) >= 0.9 * len(xs)  # type: ignore[operator]
    assert sum(x < p90 for x in xs) < 0.9 * len(xs) or len(xs) == 1  # type: ignore[operator]


def test_which_interactions_may_be_retracted() -> None:
    interactions.check_retract(retracted=False, responds_to=None, meeting_id=None)
    for blocked in (
        {"retracted": True, "responds_to": None, "meeting_id": None},
        {"retracted": False, "responds_to": uuid.uuid4(), "meeting_id": None},
        {"retracted": False, "responds_to": None, "meeting_id": uuid.uuid4()},
    ):
        with pytest.raises(interactions.RetractError):
            interactions.check_retract(**blocked)  # type: ignore[arg-type]
