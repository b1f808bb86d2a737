"""Rules of the telephony integration: whose number a call is about, what a call record
becomes (a missed call opening a callback request, a call logged with its duration, an
unanswered outbound attempt kept alone), and Twilio's status callback: its signature and
its fields."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Literal, get_args

from shared.phones import InvalidPhone, normalize_phone

CallDirection = Literal["inbound", "outbound"]
CALL_DIRECTIONS: tuple[CallDirection, ...] = get_args(CallDirection)
# What a call record became: a missed inbound call (its callback request opened), a call
# logged as an interaction, an unanswered outbound call (an attempt: no contact made, kept
# alone), or a call from or to a number no contact has (waiting to be assigned).
CallOutcome = Literal["missed", "logged", "attempt", "unmatched"]
CALL_OUTCOMES: tuple[CallOutcome, ...] = get_args(CallOutcome)
# The statuses of a request still waiting for its first response, which a callback answers
# (one on hold waits on the client, one breached is late: a call to them answers either).
CALLBACK_STATUSES = ("open", "on_hold", "breached")


def outside_number(direction: str, from_: str, to: str) -> str:
    """The client's side of a call: who called in, or whom Orbit's side called."""
    return from_ if direction == "inbound" else to


def e164(raw: str, default_region: str | None) -> str | None:
    """``raw`` in E.164 (as contacts' phones are stored), or None when it is no valid phone
    number (a withheld or internal number: the call stays unmatched)."""
    try:
        return normalize_phone(raw, default_region)
    except InvalidPhone:
        return None


def match_contact(
    number: str | None, clients: Iterable[tuple[uuid.UUID, Sequence[Mapping[str, Any]]]]
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The (client id, contact id) of the contact whose phone is ``number`` (the first such
    contact of the client); None when no contact has it, or contacts of two clients do (the
    call is not guessed onto either client's record: a manager assigns it)."""
    if number is None:
        return None
    found = {
        client_id: uuid.UUID(str(contact["id"]))
        for client_id, contacts in clients
        for contact in reversed(contacts)
        if contact.get("phone") == number and contact.get("id")
    }
    if len(found) != 1:
        return None
    [(client_id, contact_id)] = found.items()
    return client_id, contact_id


def outcome(direction: str, answered: bool) -> CallOutcome:
    """What a matched call becomes: a missed inbound call opens its callback request ("always
    answer calls"), an answered call is logged, an unanswered outbound call is an attempt."""
    if answered:
        return "logged"
    return "missed" if direction == "inbound" else "attempt"


def duration_text(seconds: int) -> str:
    """``195`` -> ``"3 min 15 s"``."""
    minutes, rest = divmod(max(0, seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def subject(direction: str, number: str) -> str:
    return f"Inbound call from {number}" if direction == "inbound" else f"Call to {number}"


def summary(answered: bool, seconds: int, recording_url: str | None) -> str:
    """The interaction's summary: its duration (or that it was missed), and the recording."""
    text = f"Duration {duration_text(seconds)}." if answered else "Missed call."
    return f"{text} Recording: {recording_url}" if recording_url else text


def callback_minutes(opened_at: datetime, answered_at: datetime) -> int:
    """How long the client waited for the callback, in minutes of the clock (the SLA's
    business minutes are the request's response time)."""
    return max(0, int((answered_at - opened_at).total_seconds() // 60))


# ---------------------------------------------------------------- Twilio's status callback

# Twilio's ``CallStatus`` of a call that ended: answered (completed) or not.
TWILIO_FINAL = {
    "completed": True,
    "busy": False,
    "no-answer": False,
    "failed": False,
    "canceled": False,
}


class TwilioFormatError(ValueError):
    """A status callback Orbit cannot take (the API's 422); ``field`` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def twilio_signature(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """``X-Twilio-Signature`` of a request to ``url`` with the form ``params``: base64 of the
    HMAC-SHA1, keyed with the auth token, of the URL followed by each parameter's name and
    value, sorted by name (a name given several times: each of its distinct values, sorted),
    as Twilio's request validators compute it."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    signed = url + "".join(
        name + value for name in sorted(values) for value in sorted(values[name])
    )
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_valid(
    url: str, params: Iterable[tuple[str, str]], auth_token: str, signature: str | None
) -> bool:
    """Whether ``signature`` is the request's (compared in constant time)."""
    if not signature:
        return False
    expected = twilio_signature(url, params, auth_token)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def twilio_call(params: Mapping[str, str]) -> dict[str, Any]:
    """The generic call record (``CallIn``'s fields) of a final status callback: ``Direction``
    inbound or outbound-*, ``CallStatus`` completed (answered) or busy / no-answer / failed /
    canceled (not), ``Timestamp`` (RFC 2822, when the call ended) less ``CallDuration``
    seconds as its start. A status that is not final, or a field missing or unreadable:
    :class:`TwilioFormatError`."""

    def need(name: str) -> str:
        value = (params.get(name) or "").strip()
        if not value:
            raise TwilioFormatError(name, "is required")
        return value

    status = need("CallStatus")
    if status not in TWILIO_FINAL:
        raise TwilioFormatError(
            "CallStatus", f"{status!r} is not a final status ({', '.join(TWILIO_FINAL)})"
        )
    direction = need("Direction")
    if direction != "inbound" and not direction.startswith("outbound"):
        raise TwilioFormatError("Direction", f"{direction!r} is neither inbound nor outbound-*")
    raw_duration = (params.get("CallDuration") or "0").strip()
    if not raw_duration.isdigit():
        raise TwilioFormatError("CallDuration", "is not a number of seconds")
    duration = int(raw_duration)
    try:
        ended = parsedate_to_datetime(need("Timestamp"))
    except (TypeError, ValueError) as exc:
        raise TwilioFormatError("Timestamp", "is not an RFC 2822 date") from exc
    if ended.tzinfo is None:
        raise TwilioFormatError("Timestamp", "has no time zone")
    return {
        "direction": "inbound" if direction == "inbound" else "outbound",
        "from": need("From"),
        "to": need("To"),
        "started_at": ended - timedelta(seconds=duration),
        "duration_seconds": duration,
        "answered": TWILIO_FINAL[status],
        "recording_url": (params.get("RecordingUrl") or "").strip() or None,
    }
