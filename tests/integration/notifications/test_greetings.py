"""Greetings through a real SMTP server on loopback (aiosmtpd): the contacts of a client whose
manager turned greetings on get a birthday greeting on their birthday and the department's
holidays, in their language, from the manager; a client left off gets nothing; two
processes running the job at once write each greeting once; the next run adds nothing."""

# ruff: noqa: RUF001 (Russian emails: Cyrillic on purpose)
from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.notifications.handlers.greetings import send_greetings
from services.notifications.settings import NotificationsSettings
from tests.integration.notifications.helpers import ADMIN, NOW, Notif, make_notif
from tests.support.smtp import SmtpServer, parts

pytestmark = pytest.mark.integration


@pytest.fixture
async def notif(any_db_url: str, smtp: SmtpServer) -> AsyncIterator[Notif]:
    async for value in make_notif(
        any_db_url,
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        notifications_greeting_holidays={"*": ["new_year"]},
    ):
        yield value


async def test_birthdays_and_new_year_once(notif: Notif, any_db_url: str, smtp: SmtpServer) -> None:
    settings = notif.runtime.settings
    assert isinstance(settings, NotificationsSettings)
    ida = await notif.staff("Ida Petrova", title="Key account manager")
    today = NOW.strftime("--%m-%d")
    olga = {"id": str(uuid.uuid4()), "name": "Olga", "email": "olga@initech.example"}
    john = {"id": str(uuid.uuid4()), "name": "John", "email": "john@initech.example"}
    await notif.client(
        "Initech",
        ida,
        contacts=[olga | {"birthday": "1985" + today[1:], "locale": "ru"}, john],
        greetings=True,
    )
    off = {"id": str(uuid.uuid4()), "name": "Max", "email": "max@globex.example"}
    await notif.client("Globex", ida, contacts=[off | {"birthday": today}])

    async def run() -> int:
        return await send_greetings(notif.runtime.uow, notif.clock.now(), settings)

    # Two processes at once (PostgreSQL), then again: one greeting.
    written = await asyncio.gather(run(), run()) if "postgresql" in any_db_url else [await run()]
    assert sum(written) == 1 and await run() == 0
    assert await notif.workers()["email"].run_once() == 1
    [birthday] = smtp.inbox.messages
    assert (str(birthday["To"]), birthday["Subject"]) == (
        olga["email"],
        "С днём рождения, Olga!",
    )
    assert birthday["From"].addresses[0].display_name == "Ida Petrova"
    assert birthday["Reply-To"] == ida.email
    assert parts(birthday)["text/plain"].endswith(
        "С уважением,\nIda Petrova\nKey account manager\n"
    )

    notif.clock.set(datetime(NOW.year + 1, 1, 1, 9, tzinfo=UTC))
    assert await run() == 2 and await run() == 0
    assert await notif.workers()["email"].run_once() == 2
    wishes = {str(m["To"]): str(m["Subject"]) for m in smtp.inbox.messages[1:]}
    assert wishes == {olga["email"]: "С Новым годом!", john["email"]: "Happy New Year!"}
    listed = await notif.http.get("/api/v1/deliveries", headers=ADMIN)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert {(i["event_type"], i["status"]) for i in items} == {
        ("orbit.notifications.greeting.v1", "sent")
    }
    assert len(items) == 3
