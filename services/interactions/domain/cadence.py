"""Contact cadence: an active client with no outbound interaction or meeting for
``contact_cadence_days`` is overdue for contact; one alert per lapse."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

# What counts as reaching out to the client.
CONTACT_TYPES = frozenset({"call", "email", "meeting", "message"})


def is_contact(kind: str, direction: str, missed: bool = False) -> bool:
    """An outbound call, email, message or meeting, or any meeting (held with the client,
    whoever asked for it). Notes and internal records are not contact; a missed call is not."""
    if missed or kind not in CONTACT_TYPES:
        return False
    return direction == "outbound" or kind == "meeting"


def contact_due_at(since: datetime, cadence_days: int) -> datetime:
    """When the next contact is due: ``cadence_days`` after the last one (or after the client
    became known, when there was none yet)."""
    if cadence_days < 1:
        raise ValueError("cadence_days must be >= 1")
    return since + timedelta(days=cadence_days)


def cadence_start(last_contact: datetime | None, known_at: datetime) -> datetime:
    """What the cadence counts from: the last contact, or when the client became known."""
    return known_at if last_contact is None else last_contact


def later_contact(current: datetime | None, occurred_at: datetime) -> datetime:
    """The last contact after one more at ``occurred_at`` (one logged late changes nothing
    when a later contact is known)."""
    return occurred_at if current is None or occurred_at > current else current


def days_overdue(due: datetime, now: datetime) -> int:
    """Whole days past ``due`` (0 before or on it; a day begun counts from its 24th hour)."""
    if now <= due:
        return 0
    return math.floor((now - due) / timedelta(days=1))


def lapse_key(client_id: uuid.UUID, due: datetime) -> str:
    """One alert per lapse: the lapse is named by its due instant, which a new contact moves,
    so the next lapse has another key."""
    return f"client.contact_overdue:{client_id}:{due.isoformat()}"


def days_left(due: datetime, now: datetime) -> int:
    """Whole days until ``due``, a begun day counted whole (0 at or after it)."""
    if now >= due:
        return 0
    return math.ceil((due - now) / timedelta(days=1))


def warns_ahead(cadence_days: int, lead_days: int) -> bool:
    """Whether a cadence is warned of ``lead_days`` before it lapses: only when it is longer
    than the lead (a shorter one would be warned of as soon as the client is contacted)."""
    return cadence_days > lead_days


def is_due_soon(due: datetime, now: datetime, cadence_days: int, lead_days: int) -> bool:
    """The lapse at ``due`` is at most ``lead_days`` away and not yet come, for a cadence
    warned of ahead (``warns_ahead``)."""
    return warns_ahead(cadence_days, lead_days) and now < due <= now + timedelta(days=lead_days)


def due_soon_key(client_id: uuid.UUID, due: datetime) -> str:
    """One warning per lapse, named by its due instant as ``lapse_key``."""
    return f"client.contact_due_soon:{client_id}:{due.isoformat()}"


def covers(
    lapse_due: datetime, starts_at: datetime, ends_at: datetime, now: datetime, grace: timedelta
) -> bool:
    """Whether a planned meeting (neither held nor cancelled) keeps a lapse's alerts quiet at
    ``now``: it starts by the lapse (the contact is planned in time), and its outcome can
    still come — ``now`` is less than ``grace`` after its end (the time a meeting has to be
    marked held before ``meeting.no_outcome``). Marked held, it is a contact and moves the
    lapse; cancelled, or without an outcome past the grace, it covers nothing, and the lapse
    is warned of or alerted as if it had never been planned."""
    return starts_at <= lapse_due and now < ends_at + grace
