"""Scheduled jobs of the clients service, bound to its settings by :func:`scheduled_jobs`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from services.clients.events import ContactBirthdayUpcomingV1
from services.clients.handlers.files import sweep_orphans
from services.clients.handlers.imports import run_queued_imports
from services.clients.policies import PolicyBook, load_book
from services.clients.settings import ClientsSettings
from services.clients.snapshots import account_manager, manager_team
from services.clients.store.reports import upcoming_birthdays
from shared.imports import ImportRun
from shared.scheduler import ScheduledJob
from shared.uow import UnitOfWorkFactory

log = logging.getLogger("orbit.clients.workers")


def birthday_alert_key(contact_id: object, year: int) -> str:
    """One ``contact.birthday_upcoming`` per contact and year of the celebration."""
    return f"birthday:{contact_id}:{year}"


async def announce_birthdays(
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    notice_days: int,
    settings: ClientsSettings | None = None,
) -> int:
    """Emit ``contact.birthday_upcoming`` for each birthday within ``notice_days`` (in the
    client's timezone), once per contact and year, however often the scan runs. A birthday
    entered late (inside the window) is announced at the next scan. With ``settings``, the
    notice is each department's ``birthday_notice_days`` in force (``/api/v1/settings``;
    ``notice_days`` is then the environment's, version 0)."""
    emitted = 0
    async with uow_factory() as uow:
        book = None if settings is None else await load_book(uow.session, settings)
        widest = notice_days if book is None else max(notice_of_every_scope(book))
        for found in await upcoming_birthdays(uow.session, now, widest):
            contact, client, day = found["contact"], found["client"], found["birthday"]
            manager = await account_manager(uow, client)
            if book is not None:
                department = None if manager is None else manager.department
                if found["days_ahead"] > book.effective(department)["birthday_notice_days"]:
                    continue
            event = ContactBirthdayUpcomingV1(
                contact_id=contact.id,
                client_id=client.id,
                client_name=client.name,
                account_manager_id=client.account_manager_id,
                **manager_team(manager),
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


def notice_of_every_scope(book: PolicyBook) -> list[int]:
    """The birthday notice in force globally and in each department with a document."""
    return [int(book.effective(scope)["birthday_notice_days"]) for scope in {"", *book.stored}]


class BirthdayJob:
    """The scheduled job: the notice of the settings in force (``/api/v1/settings``), else
    ``notice_days`` from the service's environment (:func:`scheduled_jobs`)."""

    def __init__(self, notice_days: int, settings: ClientsSettings | None = None) -> None:
        self.notice_days = notice_days
        self.settings = settings

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await announce_birthdays(uow_factory, now, self.notice_days, self.settings)


class FilesSweep:
    """The scheduled job removing the documents' objects left without a row for
    ``ORBIT_FILES_ORPHAN_MINUTES`` (handlers/files.py: ``sweep_orphans``); it lists the store
    at most once per half of that time, whatever the scheduler's interval."""

    def __init__(self, settings: ClientsSettings) -> None:
        self.settings = settings
        self.grace = timedelta(minutes=settings.files_orphan_minutes)
        self.last: datetime | None = None

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        if self.last is not None and now - self.last < self.grace / 2:
            return 0
        self.last = now
        return await sweep_orphans(uow_factory, self.settings.object_store(), now - self.grace)


def scheduled_jobs(settings: ClientsSettings) -> dict[str, ScheduledJob]:
    """The service's jobs, bound to its settings."""
    return {
        "birthdays": BirthdayJob(settings.clients_birthday_notice_days, settings),
        "files_sweep": FilesSweep(settings),
    }


class ImportWorker:
    """Runs the queued imports (``handlers/imports.py``): at once when this process queued
    one (:meth:`wake`), else every ``poll_seconds`` (another replica's upload, a run left
    behind by a process that died)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        settings: ClientsSettings,
        poll_seconds: float,
        importers: Mapping[str, ImportRun] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.settings = settings
        self.poll_seconds = poll_seconds
        # The runtime's ways to billing (contracts, invoices), linked at start-up.
        self.importers = importers
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await run_queued_imports(self.uow_factory, self.settings, self.importers)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("imports: the run failed; next try in %.0fs", self.poll_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)


def import_workers(runtime: Any) -> dict[str, Callable[[], Awaitable[None]]]:
    """The long-running workers of a running clients service (``ServiceSpec.workers``); the
    runtime keeps the import worker for the route to wake (``runtime.import_worker``)."""
    settings: ClientsSettings = runtime.settings
    worker = ImportWorker(
        runtime.uow, settings, settings.clients_import_poll_seconds, runtime.importers
    )
    runtime.import_worker = worker
    return {"imports": worker.run}
