"""The scheduled jobs of the notifications service (the escalation scan, the scorecard's
reports and the greetings to clients' contacts): each a class bound to its settings, run by
the scheduler as ``job(uow_factory, now)``. The long-running senders are in ``delivery/``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from services.notifications.handlers.escalation import escalate
from services.notifications.handlers.greetings import send_greetings
from services.notifications.handlers.scorecard.reports import write_reports
from services.notifications.settings import NotificationsSettings
from shared.scheduler import ScheduledJob
from shared.uow import UnitOfWorkFactory


class EscalationJob:
    """The escalation scan as a scheduled job, ``batch_size`` alerts per transaction."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await escalate(uow_factory, now, batch_size=self.batch_size)


class ScorecardReportsJob:
    """The scorecard's scheduled reports due now, written as email deliveries."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await write_reports(uow_factory, now, self.settings)


class GreetingsJob:
    """The greetings due now to the contacts of the clients turned on, written as email
    deliveries (once per contact, occasion and year)."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await send_greetings(uow_factory, now, self.settings)


def scheduled_jobs(settings: NotificationsSettings) -> Mapping[str, ScheduledJob]:
    """The service's jobs, bound to its settings."""
    return {
        "escalations": EscalationJob(settings.notifications_escalation_batch_size),
        "scorecard_reports": ScorecardReportsJob(settings),
        "greetings": GreetingsJob(settings),
    }
