"""Greetings to a client's contacts: a birthday greeting on the contact's birthday and the
holidays the manager's department chooses, both on the client's local date, for the clients
whose manager turned them on (the client's ``greetings``). Pure: who is due now, given the
clients, their contacts, their time zones and the departments' holidays.

- A birthday is the contact's ``"YYYY-MM-DD"`` or ``"--MM-DD"`` (year unknown); one on
  29 February is greeted on 28 February in the years without it.
- A holiday is a code of :data:`HOLIDAYS` (a fixed date each year) or a date ``"MM-DD"``;
  ORBIT_NOTIFICATIONS_GREETING_HOLIDAYS names them per department (``"*"``: the departments
  not named, and the clients whose manager has none).
- Due once the client's local clock has reached the send time (ORBIT_NOTIFICATIONS_GREETING_
  LOCAL_TIME, 09:00) on that date, and until the date ends there; each (contact, occasion,
  year) once: the delivery's unique key (:func:`greeting_key`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from shared.clock import local_date
from shared.event_views import EventView

BIRTHDAY = "birthday"
EVERY_DEPARTMENT = "*"
TEMPLATE = "greeting"

# Holidays by code: their date each year.
HOLIDAYS: dict[str, tuple[int, int]] = {
    "new_year": (1, 1),
    "orthodox_christmas": (1, 7),
    "defender_of_the_fatherland_day": (2, 23),
    "international_womens_day": (3, 8),
    "spring_and_labour_day": (5, 1),
    "victory_day": (5, 9),
    "russia_day": (6, 12),
    "national_unity_day": (11, 4),
    "christmas": (12, 25),
}
# What a holiday greeting wishes, per language (a date of its own: a season's greeting).
WISHES: dict[str, dict[str, str]] = {
    "new_year": {"en": "Happy New Year!", "ru": "С Новым годом!"},
    "orthodox_christmas": {"en": "Merry Christmas!", "ru": "С Рождеством Христовым!"},
    "defender_of_the_fatherland_day": {
        "en": "Happy Defender of the Fatherland Day!",
        "ru": "С Днём защитника Отечества!",
    },
    "international_womens_day": {
        "en": "Happy International Women's Day!",
        "ru": "С Международным женским днём!",
    },
    "spring_and_labour_day": {
        "en": "Happy Spring and Labour Day!",
        "ru": "С Праздником Весны и Труда!",
    },
    "victory_day": {"en": "Happy Victory Day!", "ru": "С Днём Победы!"},
    "russia_day": {"en": "Happy Russia Day!", "ru": "С Днём России!"},
    "national_unity_day": {"en": "Happy National Unity Day!", "ru": "С Днём народного единства!"},
    "christmas": {"en": "Merry Christmas!", "ru": "С Рождеством!"},
}
SEASONS_GREETINGS = {"en": "Season's greetings!", "ru": "С праздником!"}
_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")
_BIRTHDAY = re.compile(r"(?:(\d{4})|-)-(\d\d)-(\d\d)")


def holiday_date(code: str, year: int) -> date | None:
    """The date of holiday ``code`` (a code of :data:`HOLIDAYS` or ``"MM-DD"``) in ``year``;
    None when it has none that year (``"02-29"`` in a common year) or is not a holiday."""
    if code in HOLIDAYS:
        month, day = HOLIDAYS[code]
    else:
        found = _MONTH_DAY.fullmatch(code)
        if found is None:
            return None
        month, day = int(found.group(1)), int(found.group(2))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def check_holiday(code: str) -> str:
    """``code`` when it names a holiday (a code of :data:`HOLIDAYS`, or a real ``"MM-DD"``),
    else ``ValueError``."""
    if holiday_date(code, 2000) is None:  # a leap year: "02-29" is a date
        raise ValueError(f"not a holiday: {code!r} (one of {', '.join(HOLIDAYS)}, or a date MM-DD)")
    return code


def birthday_in(birthday: str | None, year: int) -> date | None:
    """The day a contact's birthday is greeted in ``year`` (29 February: the 28th in a common
    year); None without a (valid) birthday."""
    found = _BIRTHDAY.fullmatch(birthday or "")
    if found is None:
        return None
    month, day = int(found.group(2)), int(found.group(3))
    if (month, day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class GreetingContact:
    contact_id: uuid.UUID
    name: str
    email: str | None
    birthday: str | None


@dataclass(frozen=True)
class GreetingClient:
    """A client whose contacts get greetings (the manager turned them on)."""

    client_id: uuid.UUID
    timezone: str
    department: str | None
    contacts: Sequence[GreetingContact]


@dataclass(frozen=True)
class Due:
    """A greeting to send now: ``occasion`` is ``birthday`` or a holiday's code."""

    client: GreetingClient
    contact: GreetingContact
    occasion: str
    day: date


def greeting_key(due: Due) -> str:
    """The delivery's unique key: each contact greeted once per occasion and year."""
    return f"greeting:{due.occasion}:{due.contact.contact_id}:{due.day.year}"


def holidays_of(department: str | None, holidays: Mapping[str, Sequence[str]]) -> Sequence[str]:
    """The holidays a client is greeted on: its manager's department's, else ``"*"``'s."""
    if department is not None and department in holidays:
        return holidays[department]
    return holidays.get(EVERY_DEPARTMENT, ())


def due_greetings(
    now: datetime,
    clients: Sequence[GreetingClient],
    holidays: Mapping[str, Sequence[str]],
    send_at: time,
) -> list[Due]:
    """The greetings due at ``now``: for each client whose local clock has passed
    ``send_at``, its contacts with an email whose birthday is its local today, and all of
    them on its department's holidays today."""
    due: list[Due] = []
    for client in clients:
        zone = ZoneInfo(client.timezone)
        if now.astimezone(zone).time() < send_at:
            continue
        today = local_date(now, zone)
        occasions = [
            code
            for code in holidays_of(client.department, holidays)
            if holiday_date(code, today.year) == today
        ]
        for contact in client.contacts:
            if not contact.email:
                continue
            if birthday_in(contact.birthday, today.year) == today:
                due.append(Due(client, contact, BIRTHDAY, today))
            due += [Due(client, contact, code, today) for code in occasions]
    return due


def greeting_context(due: Due, language: str, client_name: str) -> dict[str, object]:
    """What the greeting email says (``templates/<language>/greeting.j2``)."""
    wish = None
    if due.occasion != BIRTHDAY:
        wish = (
            WISHES.get(due.occasion, SEASONS_GREETINGS).get(language) or (SEASONS_GREETINGS["en"])
        )
    return {
        "recipient_name": due.contact.name,
        "client_name": client_name,
        "birthday": due.occasion == BIRTHDAY,
        "wish": wish,
        "year": due.day.year,
    }


class GreetingsChoice(EventView):
    """A client event's ``greetings`` (the manager's choice): ``chosen`` when the event
    carries the field (an older event without it changes nothing; null reads as off)."""

    client_id: uuid.UUID | None = None
    greetings: bool | None = None

    @property
    def chosen(self) -> bool:
        return "greetings" in self.model_fields_set
