"""Stream tickets: how a browser's ``EventSource`` (which cannot send ``Authorization``)
opens the caller's live stream without a bearer token in its URL.

A ticket is an opaque random string, issued to a bearer-authenticated caller, valid for a
short while (``ORBIT_NOTIFICATIONS_STREAM_TICKET_SECONDS``) and good for one stream: only its
SHA-256 is stored, with the staff member it is bound to; opening a stream marks it used in the
same statement that finds it, so two requests cannot both use it."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

# 32 random bytes, URL-safe base64 (43 characters): nothing to guess, nothing to escape.
TICKET_BYTES = 32


def new_ticket() -> str:
    return secrets.token_urlsafe(TICKET_BYTES)


def ticket_digest(ticket: str) -> str:
    """What is stored and looked up (hex SHA-256): a database read leaks no usable ticket."""
    return hashlib.sha256(ticket.encode()).hexdigest()


def ticket_expiry(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


@dataclass(frozen=True)
class TicketState:
    """A stored ticket as the redeeming request found it."""

    staff_id: uuid.UUID
    expires_at: datetime
    used_before: bool  # another request had already used it


def ticket_refusal(
    state: TicketState | None, now: datetime, bearer: uuid.UUID | None = None
) -> str | None:
    """Why a presented ticket does not open a stream (the 401's detail), or None when it
    does: unknown (never issued, or expired and cleaned up), used, expired, or foreign (the
    request also carries a bearer token of another staff member)."""
    if state is None:
        return "unknown stream ticket (never issued, or expired)"
    if state.used_before:
        return "stream ticket already used: ask for a new one"
    if state.expires_at <= now:
        return "stream ticket expired: ask for a new one"
    if bearer is not None and bearer != state.staff_id:
        return "stream ticket issued to another staff member"
    return None
