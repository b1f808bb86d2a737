"""The scheduled weekly report reaches a real SMTP server (aiosmtpd on loopback) once,
however many replicas write it and however many delivery workers send it, in the head's
language, with the deviations and a valid .xlsx attached that has its charts; while the
server is unreachable it waits as a pending delivery."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from services.notifications.app import create_app
from services.notifications.delivery import DeliveryWorker, Mailer
from services.notifications.domain.scorecard.reports import TEMPLATE
from services.notifications.handlers.scorecard.reports import write_reports
from services.notifications.settings import NotificationsSettings
from services.notifications.store.models import Delivery
from shared.clock import FixedClock
from shared.runtime import ServiceRuntime
from tests.integration.notifications.scorecard_world import NOW, World, build
from tests.integration.notifications.test_scorecard import check_workbook
from tests.support.apps import running, runtime_of, test_settings

pytestmark = pytest.mark.integration

MONDAY = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)  # the weekly report of 2026-W48 is due


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def runtime(pg_url: str) -> AsyncIterator[ServiceRuntime]:
    # no workers: the scheduler's own first run (the daily report of NOW, with the default
    # settings) would race the writes below; the test drives write/send itself
    settings = test_settings(database_url=pg_url)
    app = create_app(settings, clock=FixedClock(NOW), migrate_on_start=True, workers=False)
    async with running(app):
        runtime = runtime_of(app, "notifications")
        await build(World(runtime))
        async with runtime.uow() as uow:  # the alerts the world's events raised: not sent here
            await uow.session.execute(update(Delivery).values(status="cancelled"))
            await uow.commit()
        yield runtime


def settings_for(port: int) -> NotificationsSettings:
    values = test_settings().model_dump() | {
        "smtp_url": f"smtp://127.0.0.1:{port}",
        "notifications_report_periods": ["week"],
        "notifications_report_local_time": time(7, 0),
    }
    return NotificationsSettings(**values)


def email_worker(
    runtime: ServiceRuntime, settings: NotificationsSettings, clock: FixedClock
) -> DeliveryWorker:
    """A delivery worker of the email channel (as each replica runs one)."""
    send = Mailer(settings, clock).send
    return DeliveryWorker(
        "email", runtime.uow, clock, send, batch_size=10, poll_seconds=1, claim_seconds=60
    )


async def report_row(runtime: ServiceRuntime) -> Delivery:
    async with runtime.reads() as session:
        return (await session.scalars(select(Delivery).where(Delivery.template == TEMPLATE))).one()


async def test_the_weekly_report_is_sent_once_with_its_workbook(
    runtime: ServiceRuntime, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(port)
    # before the local time: nothing yet
    assert await write_reports(runtime.uow, MONDAY.replace(hour=6, minute=59), settings) == 0

    # three replicas write at once, and again later: one report
    written = await asyncio.gather(
        *(write_reports(runtime.uow, MONDAY, settings) for _ in range(3))
    )
    assert sum(written) == 1
    assert await write_reports(runtime.uow, MONDAY.replace(hour=9), settings) == 0

    # nothing listens on the SMTP port: an outage, kept pending however often it is tried
    clock = FixedClock(MONDAY)
    down = email_worker(runtime, settings_for(free_port()), clock)
    tries = 6
    for _ in range(tries):
        assert await down.run_once() == 1
        clock.advance(timedelta(hours=1))
    row = await report_row(runtime)
    assert (row.status, row.attempts) == ("pending", tries)
    assert row.last_error

    senders = [email_worker(runtime, settings, clock) for _ in range(3)]
    sent = await asyncio.gather(*(worker.run_once() for worker in senders))
    assert sum(sent) == 1
    assert await senders[0].run_once() == 0
    for _ in range(50):
        if inbox.messages:
            break
        await asyncio.sleep(0.05)
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "hana@orbit.example"
    assert "Еженедельный отчёт по KPI: 2026-W48" in mail["Subject"]  # Hana reads Russian
    html = mail.get_body(("html",))
    assert html is not None
    text = html.get_content()
    assert "Отдел Sales" in text
    assert "Клиент Beta ушёл" in text
    assert "Соблюдение SLA у Ann упало с 100.0% до 66.7%" in text  # noqa: RUF001
    assert "Acme" in text and "600" in text  # its overdue balance grew
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "scorecard-week-2026-W48.xlsx"
    check_workbook(attachment.get_content(), manager="Ann", eur="1000")
    row = await report_row(runtime)
    assert (row.status, row.attempts, row.locale) == ("sent", tries + 1, "ru")
