"""When a delivery goes out: quiet hours and the daily digest in the person's own timezone
(across DST changes), and the retry schedules of email and webhooks. Pure: time is an
argument, randomness (jitter) too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from services.notifications.domain.catalog import PersonalChannel, Severity
from shared.clock import local_date

# Standard Webhooks' recommendation, at least 24 hours in all: after the first attempt fails,
# wait 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (each +-20 % jitter); then it has failed.
WEBHOOK_RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.2
# An endpoint failing every attempt this long is disabled (and the admins told).
WEBHOOK_DISABLE_AFTER = timedelta(days=5)

# Email: 5 s doubling up to an hour, for three days (a mail server down over a weekend);
# a permanent refusal (SMTP 5xx) fails at once.
EMAIL_FIRST_DELAY = timedelta(seconds=5)
EMAIL_MAX_DELAY = timedelta(hours=1)
EMAIL_GIVE_UP_AFTER = timedelta(days=3)

# An outage (the SMTP server or the receiver cannot be reached, or says it is unavailable) is
# not the message's fault: it is retried without limit and spends none of the budgets above,
# the wait capped so that the backlog goes out soon after the far side is back.
EMAIL_OUTAGE_MAX_DELAY = timedelta(minutes=5)
WEBHOOK_OUTAGE_MAX_DELAY = timedelta(hours=1)

# What a failed attempt was: ``permanent`` (never retried: SMTP 5xx, the subscription
# deleted), ``rejected`` (the far side answered and refused this message for now: SMTP 4xx,
# HTTP 4xx; retried within the budget) or ``unavailable`` (an outage: retried until it ends).
Failure = Literal["permanent", "rejected", "unavailable"]


def _jittered(base: timedelta, jitter: float) -> timedelta:
    return base * (1 + JITTER * max(-1.0, min(1.0, jitter)))


def webhook_retry_delay(failed_attempts: int, jitter: float = 0.0) -> timedelta | None:
    """How long to wait after the ``failed_attempts``-th failed attempt (1 = the first), or
    None when the schedule is spent. ``jitter`` in [-1, 1] scales the +-20 %."""
    if failed_attempts < 1 or failed_attempts > len(WEBHOOK_RETRY_DELAYS):
        return None
    return _jittered(WEBHOOK_RETRY_DELAYS[failed_attempts - 1], jitter)


def email_retry_delay(
    failed_attempts: int, first_attempt_at: datetime, now: datetime, jitter: float = 0.0
) -> timedelta | None:
    """The wait after the ``failed_attempts``-th failure of a temporary kind, or None once the
    email has been failing for :data:`EMAIL_GIVE_UP_AFTER`."""
    if now - first_attempt_at >= EMAIL_GIVE_UP_AFTER:
        return None
    exponent = min(max(failed_attempts - 1, 0), 20)
    base = min(EMAIL_FIRST_DELAY * (2**exponent), EMAIL_MAX_DELAY)
    return _jittered(base, jitter)


def outage_delay(channel: str, tries: int, jitter: float = 0.0) -> timedelta:
    """The wait after the ``tries``-th attempt (of any kind) when the far side is down: the
    channel's schedule (email 5 s doubling, webhooks 5 s, 5 min, 30 min ...), capped at
    :data:`EMAIL_OUTAGE_MAX_DELAY` / :data:`WEBHOOK_OUTAGE_MAX_DELAY`; never None."""
    tries = max(tries, 1)
    if channel == "webhook":
        base = WEBHOOK_RETRY_DELAYS[min(tries, len(WEBHOOK_RETRY_DELAYS)) - 1]
        return _jittered(min(base, WEBHOOK_OUTAGE_MAX_DELAY), jitter)
    base = min(EMAIL_FIRST_DELAY * (2 ** min(tries - 1, 20)), EMAIL_OUTAGE_MAX_DELAY)
    return _jittered(base, jitter)


def retry_delay(
    channel: str,
    failure: Failure,
    *,
    tries: int,
    rejections: int,
    first_rejection_at: datetime,
    now: datetime,
    jitter: float = 0.0,
) -> timedelta | None:
    """When to try a failed delivery again, or None when it has failed for good.

    ``tries``: its attempts so far, this one included; ``rejections``: how many of them were
    ``rejected`` (this one included when it was), the first at ``first_rejection_at``. Only
    rejections spend the budget (webhooks: the 7 retries of :data:`WEBHOOK_RETRY_DELAYS`;
    email: :data:`EMAIL_GIVE_UP_AFTER` from the first rejection); an outage waits
    :func:`outage_delay` however long it lasts; a permanent failure is not retried."""
    if failure == "permanent":
        return None
    if failure == "unavailable":
        return outage_delay(channel, tries, jitter)
    if channel == "webhook":
        return webhook_retry_delay(rejections, jitter)
    return email_retry_delay(rejections, first_rejection_at, now, jitter)


# ---------------------------------------------------------------- preferences


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time


@dataclass(frozen=True)
class Digest:
    enabled: bool
    at: time


DEFAULT_CHANNELS: dict[Severity, tuple[PersonalChannel, ...]] = {
    "info": ("in_app", "email"),
    "warning": ("in_app", "email"),
    "critical": ("in_app", "email"),
}


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``zone`` as an aware UTC instant. A wall time that does not exist
    (the hour skipped when clocks go forward) is taken as the same time after the jump; an
    ambiguous one (the hour repeated when clocks go back) as its first occurrence."""
    # PEP 495: fold=0 reads a skipped wall time with the offset before the jump (so it lands
    # as far after the jump as it was meant after the hour's start) and an ambiguous one as
    # its first occurrence.
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def quiet_until(now: datetime, timezone: str, quiet: QuietHours | None) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (an aware UTC instant), else None.
    ``start`` after ``end`` spans midnight (22:00-07:00); equal times mean none."""
    if quiet is None or quiet.start == quiet.end:
        return None
    zone = ZoneInfo(timezone)
    today = local_date(now, zone)
    for day in (today - timedelta(days=1), today):
        start = _local(day, quiet.start, zone)
        end_day = day if quiet.start < quiet.end else day + timedelta(days=1)
        end = _local(end_day, quiet.end, zone)
        if start <= now < end:
            return end
    return None


def next_digest_at(now: datetime, timezone: str, at: time) -> datetime:
    """The next time the daily digest goes out: ``at`` in ``timezone``, strictly after
    ``now`` (an aware UTC instant)."""
    zone = ZoneInfo(timezone)
    day = local_date(now, zone)
    for offset in range(3):
        candidate = _local(day + timedelta(days=offset), at, zone)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a day later is always after now")


@dataclass(frozen=True)
class EmailPlan:
    """When an email to a person goes out: ``send_at``, and whether it joins their digest."""

    send_at: datetime
    digest: bool


def plan_email(
    now: datetime,
    severity: Severity,
    timezone: str,
    quiet: QuietHours | None,
    digest: Digest | None,
) -> EmailPlan:
    """``info`` emails join the daily digest when it is on; other non-critical emails wait for
    the end of the quiet hours; critical ones go now."""
    if severity == "info" and digest is not None and digest.enabled:
        return EmailPlan(next_digest_at(now, timezone, digest.at), digest=True)
    if severity != "critical":
        until = quiet_until(now, timezone, quiet)
        if until is not None:
            return EmailPlan(until, digest=False)
    return EmailPlan(now, digest=False)
