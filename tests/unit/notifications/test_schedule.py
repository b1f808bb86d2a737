"""Quiet hours and the daily digest in the person's timezone, across DST changes; the retry
schedules of webhooks and email (an outage retried without end, refusals within a budget)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifications.domain.schedule import (
    EMAIL_GIVE_UP_AFTER,
    EMAIL_OUTAGE_MAX_DELAY,
    WEBHOOK_OUTAGE_MAX_DELAY,
    WEBHOOK_RETRY_DELAYS,
    Digest,
    QuietHours,
    email_retry_delay,
    next_digest_at,
    outage_delay,
    plan_email,
    quiet_until,
    retry_delay,
    webhook_retry_delay,
)

BERLIN = "Europe/Berlin"
NIGHT = QuietHours(time(22, 0), time(7, 0))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_quiet_hours_span_midnight() -> None:
    # 23:30 in Berlin (CET, UTC+1) is 22:30 UTC: quiet until 07:00 Berlin = 06:00 UTC.
    assert quiet_until(utc(2026, 1, 14, 22, 30), BERLIN, NIGHT) == utc(2026, 1, 15, 6, 0)
    # 05:00 Berlin, same night.
    assert quiet_until(utc(2026, 1, 15, 4, 0), BERLIN, NIGHT) == utc(2026, 1, 15, 6, 0)
    # 12:00 Berlin: not quiet.
    assert quiet_until(utc(2026, 1, 15, 11, 0), BERLIN, NIGHT) is None
    # the end itself is not quiet, the start is
    assert quiet_until(utc(2026, 1, 15, 6, 0), BERLIN, NIGHT) is None
    assert quiet_until(utc(2026, 1, 15, 21, 0), BERLIN, NIGHT) == utc(2026, 1, 16, 6, 0)


def test_quiet_hours_within_a_day_and_none() -> None:
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert quiet_until(utc(2026, 7, 1, 10, 30), BERLIN, lunch) == utc(2026, 7, 1, 11, 0)
    assert quiet_until(utc(2026, 7, 1, 9, 30), BERLIN, lunch) is None
    assert quiet_until(utc(2026, 7, 1, 10, 30), BERLIN, None) is None


def test_quiet_hours_across_spring_forward() -> None:
    # Night of 28/29 March 2026: Berlin goes from UTC+1 to UTC+2 at 02:00 local.
    # 23:00 local (22:00 UTC) on the 28th: quiet until 07:00 CEST = 05:00 UTC.
    assert quiet_until(utc(2026, 3, 28, 22, 0), BERLIN, NIGHT) == utc(2026, 3, 29, 5, 0)


def test_quiet_hours_across_fall_back() -> None:
    # Night of 24/25 October 2026: UTC+2 to UTC+1 at 03:00 local.
    # 23:00 local (21:00 UTC) on the 24th: quiet until 07:00 CET = 06:00 UTC.
    assert quiet_until(utc(2026, 10, 24, 21, 0), BERLIN, NIGHT) == utc(2026, 10, 25, 6, 0)


def test_quiet_hours_ending_in_the_skipped_hour() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: the end is 03:30 CEST (01:30 UTC).
    odd = QuietHours(time(23, 0), time(2, 30))
    assert quiet_until(utc(2026, 3, 28, 23, 0), BERLIN, odd) == utc(2026, 3, 29, 1, 30)


def test_digest_times() -> None:
    # 08:00 Berlin daily; in winter 07:00 UTC, in summer 06:00 UTC.
    assert next_digest_at(utc(2026, 1, 15, 6, 0), BERLIN, time(8)) == utc(2026, 1, 15, 7, 0)
    assert next_digest_at(utc(2026, 1, 15, 7, 0), BERLIN, time(8)) == utc(2026, 1, 16, 7, 0)
    # The evening before the spring change: tomorrow's 08:00 is already summer time.
    assert next_digest_at(utc(2026, 3, 28, 20, 0), BERLIN, time(8)) == utc(2026, 3, 29, 6, 0)
    # The evening before the autumn change: tomorrow's 08:00 is winter time again.
    assert next_digest_at(utc(2026, 10, 24, 20, 0), BERLIN, time(8)) == utc(2026, 10, 25, 7, 0)
    # New York (UTC-5 in winter).
    assert next_digest_at(utc(2026, 1, 15, 12, 0), "America/New_York", time(9)) == utc(
        2026, 1, 15, 14, 0
    )


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
def test_digest_is_always_within_a_day_and_at_the_local_time(moment: datetime) -> None:
    now = moment.replace(tzinfo=UTC)
    at = next_digest_at(now, BERLIN, time(8, 30))
    assert now < at <= now + timedelta(hours=25)
    local = at.astimezone(__import__("zoneinfo").ZoneInfo(BERLIN))
    assert (local.hour, local.minute) == (8, 30)


def test_email_plans() -> None:
    now = utc(2026, 1, 14, 22, 30)  # 23:30 Berlin: quiet
    digest = Digest(True, time(8))
    assert plan_email(now, "critical", BERLIN, NIGHT, digest).send_at == now
    warning = plan_email(now, "warning", BERLIN, NIGHT, digest)
    assert (warning.send_at, warning.digest) == (utc(2026, 1, 15, 6, 0), False)
    info = plan_email(now, "info", BERLIN, NIGHT, digest)
    assert (info.send_at, info.digest) == (utc(2026, 1, 15, 7, 0), True)
    off = plan_email(now, "info", BERLIN, None, Digest(False, time(8)))
    assert (off.send_at, off.digest) == (now, False)


def test_webhook_retry_schedule() -> None:
    delays = [webhook_retry_delay(n) for n in range(1, 8)]
    assert delays == list(WEBHOOK_RETRY_DELAYS)
    assert delays[:3] == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)]
    assert sum(WEBHOOK_RETRY_DELAYS, timedelta()) >= timedelta(hours=24)
    assert webhook_retry_delay(8) is None
    assert webhook_retry_delay(0) is None


@pytest.mark.parametrize("jitter", [-1.0, -0.3, 0.0, 0.5, 1.0, 7.0])
def test_jitter_stays_within_a_fifth(jitter: float) -> None:
    delay = webhook_retry_delay(4, jitter)
    assert delay is not None
    assert timedelta(hours=2) * 0.8 <= delay <= timedelta(hours=2) * 1.2


def test_email_backoff_doubles_to_an_hour_then_gives_up() -> None:
    first = utc(2026, 1, 1)
    assert email_retry_delay(1, first, first) == timedelta(seconds=5)
    assert email_retry_delay(2, first, first) == timedelta(seconds=10)
    assert email_retry_delay(30, first, first) == timedelta(hours=1)
    assert email_retry_delay(5, first, first + EMAIL_GIVE_UP_AFTER) is None


def test_an_outage_is_retried_without_end_and_spends_no_budget() -> None:
    first = utc(2026, 1, 1)
    week = first + timedelta(days=7)
    for channel in ("email", "webhook"):
        # a week of an unreachable SMTP server / a receiver answering 503: still retried
        assert retry_delay(
            channel, "unavailable", tries=5000, rejections=0, first_rejection_at=week, now=week
        )
    assert outage_delay("email", 1) == timedelta(seconds=5)
    assert outage_delay("email", 3) == timedelta(seconds=20)
    assert outage_delay("email", 40) == EMAIL_OUTAGE_MAX_DELAY == timedelta(minutes=5)
    assert [outage_delay("webhook", n) for n in (1, 2, 3)] == list(WEBHOOK_RETRY_DELAYS[:3])
    assert outage_delay("webhook", 4) == WEBHOOK_OUTAGE_MAX_DELAY == timedelta(hours=1)
    assert outage_delay("webhook", 99, jitter=1.0) == timedelta(hours=1) * 1.2


def test_rejections_spend_the_budget_outages_before_them_do_not() -> None:
    first = utc(2026, 1, 1)
    later = first + timedelta(days=10)  # ten days of outage before the first refusal
    # webhooks: the 7 retries of the schedule count refusals only, whatever came before
    assert retry_delay(
        "webhook", "rejected", tries=300, rejections=1, first_rejection_at=later, now=later
    ) == timedelta(seconds=5)
    assert (
        retry_delay(
            "webhook", "rejected", tries=300, rejections=8, first_rejection_at=later, now=later
        )
        is None
    )
    # email: three days from the first refusal, not from the first attempt
    assert retry_delay(
        "email", "rejected", tries=900, rejections=2, first_rejection_at=later, now=later
    ) == timedelta(seconds=10)
    assert (
        retry_delay(
            "email",
            "rejected",
            tries=900,
            rejections=60,
            first_rejection_at=later,
            now=later + EMAIL_GIVE_UP_AFTER,
        )
        is None
    )


def test_a_permanent_failure_is_not_retried() -> None:
    now = utc(2026, 1, 1)
    for channel in ("email", "webhook"):
        assert (
            retry_delay(
                channel, "permanent", tries=1, rejections=0, first_rejection_at=now, now=now
            )
            is None
        )
