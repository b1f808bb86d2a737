"""Who is greeted when (domain/greetings.py): birthdays on the client's local date (29 February
on the 28th in common years), the department's holidays, the send time, once a year."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest

from services.notifications.domain.greetings import (
    BIRTHDAY,
    GreetingClient,
    GreetingContact,
    GreetingsChoice,
    birthday_in,
    check_holiday,
    due_greetings,
    greeting_context,
    greeting_key,
    holiday_date,
)

NINE = time(9, 0)


def contact(birthday: str | None, email: str | None = "olga@initech.example") -> GreetingContact:
    return GreetingContact(uuid.uuid4(), "Olga", email, birthday)


def client(timezone: str, *contacts: GreetingContact, department: str = "north") -> GreetingClient:
    return GreetingClient(uuid.uuid4(), timezone, department, contacts)


def test_february_29_is_greeted_on_the_28th_in_common_years() -> None:
    assert birthday_in("1992-02-29", 2028) == date(2028, 2, 29)
    assert birthday_in("1992-02-29", 2027) == date(2027, 2, 28)
    assert birthday_in("--02-29", 2027) == date(2027, 2, 28)
    assert birthday_in("--12-31", 2027) == date(2027, 12, 31)
    assert birthday_in("1990-02-30", 2027) is None
    assert birthday_in(None, 2027) is None and birthday_in("soon", 2027) is None


def test_a_leapling_is_due_once_in_a_common_year() -> None:
    leapling = client("UTC", contact("1992-02-29"))
    feb_28 = datetime(2027, 2, 28, 10, tzinfo=UTC)
    [due] = due_greetings(feb_28, [leapling], {}, NINE)
    assert (due.occasion, due.day) == (BIRTHDAY, date(2027, 2, 28))
    assert due_greetings(feb_28 + timedelta(days=1), [leapling], {}, NINE) == []  # 1 March
    leap_feb_28 = datetime(2028, 2, 28, 10, tzinfo=UTC)
    assert due_greetings(leap_feb_28, [leapling], {}, NINE) == []
    assert len(due_greetings(leap_feb_28 + timedelta(days=1), [leapling], {}, NINE)) == 1


def test_the_clients_local_date_and_send_time_decide() -> None:
    """1 March 00:30 UTC is 09:30 in Tokyo (due) and still 28 February in New York."""
    birthday = "1980-03-01"
    tokyo, new_york = (
        client("Asia/Tokyo", contact(birthday)),
        client("America/New_York", contact(birthday)),
    )
    now = datetime(2027, 3, 1, 0, 30, tzinfo=UTC)
    assert [d.client for d in due_greetings(now, [tokyo, new_york], {}, NINE)] == [tokyo]
    assert due_greetings(now - timedelta(hours=1), [tokyo], {}, NINE) == []  # 08:30 there
    later = datetime(2027, 3, 1, 14, 30, tzinfo=UTC)  # 09:30 in New York, 23:30 in Tokyo
    assert {d.client.timezone for d in due_greetings(later, [tokyo, new_york], {}, NINE)} == {
        "Asia/Tokyo",
        "America/New_York",
    }


def test_department_holidays_and_the_default() -> None:
    holidays = {"*": ["new_year"], "north": ["new_year", "03-08"], "quiet": []}
    north = client("Europe/Moscow", contact(None), contact(None, email=None))
    south = client("Europe/Moscow", contact(None), department="south")
    quiet = client("Europe/Moscow", contact(None), department="quiet")
    new_year = datetime(2027, 1, 1, 6, tzinfo=UTC)  # 09:00 in Moscow
    due = due_greetings(new_year, [north, south, quiet], holidays, NINE)
    assert [(d.client, d.occasion) for d in due] == [(north, "new_year"), (south, "new_year")]
    march_8 = datetime(2027, 3, 8, 6, tzinfo=UTC)
    assert [d.client for d in due_greetings(march_8, [north, south], holidays, NINE)] == [north]
    key = greeting_key(due[0])
    assert key == f"greeting:new_year:{north.contacts[0].contact_id}:2027"


def test_holiday_codes() -> None:
    assert holiday_date("new_year", 2027) == date(2027, 1, 1)
    assert holiday_date("international_womens_day", 2027) == date(2027, 3, 8)
    assert holiday_date("02-29", 2027) is None and holiday_date("02-29", 2028) == date(2028, 2, 29)
    assert check_holiday("12-31") == "12-31" and check_holiday("02-29") == "02-29"
    for bad in ("13-01", "easter", "1-1"):
        with pytest.raises(ValueError, match="not a holiday"):
            check_holiday(bad)


def test_the_words() -> None:
    [due] = due_greetings(
        datetime(2027, 1, 1, 12, tzinfo=UTC),
        [client("UTC", contact(None))],
        {"*": ["new_year"]},
        NINE,
    )
    assert greeting_context(due, "ru", "Initech")["wish"] == "С Новым годом!"  # noqa: RUF001
    assert greeting_context(due, "en", "Initech")["birthday"] is False


def test_the_holidays_setting_is_checked() -> None:
    from pydantic import ValidationError

    from services.notifications.settings import NotificationsSettings

    ok = NotificationsSettings(
        env="test", notifications_greeting_holidays={"*": ["new_year", "12-31"]}
    )
    assert ok.notifications_greeting_holidays == {"*": ["new_year", "12-31"]}
    with pytest.raises(ValidationError, match="not a holiday: 'easter'"):
        NotificationsSettings(env="test", notifications_greeting_holidays={"north": ["easter"]})


def test_the_choice_is_read_only_from_an_event_carrying_it() -> None:
    client_id = uuid.uuid4()
    assert not GreetingsChoice.of({"client_id": str(client_id), "name": "Acme"}).chosen
    off = GreetingsChoice.of({"client_id": str(client_id), "greetings": None, "added": 1})
    assert off.chosen and off.client_id == client_id and not off.greetings
    assert GreetingsChoice.of({"client_id": str(client_id), "greetings": True}).greetings
