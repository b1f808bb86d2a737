"""The contact cadence's warning before a lapse (``client.contact_due_soon``): when it
comes, the days left, once per lapse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.interactions.domain import cadence

NOW = datetime(2037, 11, 23, 9, tzinfo=UTC)  # a Monday, far from any real today
DAY = timedelta(days=1)


def test_due_soon_within_the_lead_before_the_lapse() -> None:
    assert cadence.is_due_soon(NOW + DAY, NOW, cadence_days=7, lead_days=1)
    assert cadence.is_due_soon(NOW + 2 * DAY, NOW, cadence_days=7, lead_days=2)
    assert not cadence.is_due_soon(NOW + 2 * DAY, NOW, cadence_days=7, lead_days=1)
    assert not cadence.is_due_soon(NOW, NOW, cadence_days=7, lead_days=1)  # lapsed: overdue
    assert not cadence.is_due_soon(NOW - DAY, NOW, cadence_days=7, lead_days=1)


def test_a_cadence_no_longer_than_the_lead_is_not_warned_of() -> None:
    assert cadence.warns_ahead(2, 1) and not cadence.warns_ahead(1, 1)
    assert not cadence.warns_ahead(3, 3)
    assert not cadence.is_due_soon(NOW + DAY, NOW, cadence_days=3, lead_days=3)
    assert cadence.is_due_soon(NOW + DAY, NOW, cadence_days=4, lead_days=3)


def test_days_left_count_a_begun_day() -> None:
    assert cadence.days_left(NOW + 3 * DAY, NOW) == 3
    assert cadence.days_left(NOW + timedelta(hours=1), NOW) == 1
    assert cadence.days_left(NOW + DAY + timedelta(seconds=1), NOW) == 2
    assert cadence.days_left(NOW, NOW) == 0


def test_one_warning_per_lapse() -> None:
    client = uuid.uuid4()
    assert cadence.due_soon_key(client, NOW) != cadence.due_soon_key(client, NOW + DAY)
    assert cadence.due_soon_key(client, NOW) != cadence.lapse_key(client, NOW)


def test_a_planned_meeting_covers_the_lapse_it_comes_before() -> None:
    """Starting by the lapse, it covers it until ``grace`` after its end (the time it has to
    be marked held); starting after the lapse, it covers nothing."""
    due, grace = NOW + 3 * DAY, timedelta(hours=4)
    start, end = NOW + 2 * DAY, NOW + 2 * DAY + timedelta(hours=1)
    assert cadence.covers(due, start, end, NOW, grace)
    assert cadence.covers(due, due, due + timedelta(hours=1), NOW, grace)  # at the lapse
    assert cadence.covers(due, start, end, end + grace - timedelta(seconds=1), grace)
    assert not cadence.covers(due, start, end, end + grace, grace)  # no outcome: lapse alerted
    assert not cadence.covers(due, due + timedelta(seconds=1), due + DAY, NOW, grace)


def test_the_cadence_counts_from_the_last_contact_or_when_the_client_became_known() -> None:
    assert cadence.cadence_start(NOW, NOW - DAY) == NOW
    assert cadence.cadence_start(None, NOW - DAY) == NOW - DAY


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
