"""Scheduled jobs of the clients service, bound to its settings by :func:`scheduled_jobs`."""

from __future__ import annotations

from datetime import datetime

from services.clients.events import ContactBirthdayUpcomingV1
from services.clients.settings import ClientsSettings
from services.clients.snapshots import account_manager, manager_team
from services.clients.store.reports import upcoming_birthdays
from shared.scheduler import ScheduledJob
from shared.uow import UnitOfWorkFactory


def birthday_alert_key(contact_id: object, year: int) -> str:
    """One ``contact.birthday_upcoming`` per contact and year of the celebration."""
    return f"birthday:{contact_id}:{year}"


async def announce_birthdays(
    uow_factory: UnitOfWorkFactory, now: datetime, notice_days: int
) -> int:
    """Emit ``contact.birthday_upcoming`` for each birthday within ``notice_days`` (in the
    client's timezone), once per contact and year, however often the scan runs. A birthday
    entered late (inside the window) is announced at the next scan."""
    emitted = 0
    async with uow_factory() as uow:
        for found in await upcoming_birthdays(uow.session, now, notice_days):
            contact, client, day = found["contact"], found["client"], found["birthday"]
            event = ContactBirthdayUpcomingV1(
                contact_id=contact.id,
                client_id=client.id,
                client_name=client.name,
                account_manager_id=client.account_manager_id,
                **manager_team(await account_manager(uow, client)),
                name=contact.name,
                email=contact.email,
                roles=list(contact.roles or []),
                birthday=day,
                days_ahead=found["days_ahead"],
                age=found["age"],
            )
            if await uow.emit_once(birthday_alert_key(contact.id, day.year), event):
                emitted += 1
        await uow.commit()
    return emitted


class BirthdayJob:
    """The scheduled job, ``notice_days`` from the service's settings (:func:`scheduled_jobs`)."""

    def __init__(self, notice_days: int) -> None:
        self.notice_days = notice_days

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await announce_birthdays(uow_factory, now, self.notice_days)


def scheduled_jobs(settings: ClientsSettings) -> dict[str, ScheduledJob]:
    """The service's jobs, bound to its settings."""
    return {"birthdays": BirthdayJob(settings.clients_birthday_notice_days)}
