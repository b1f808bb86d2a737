"""The scheduled reports follow the policy of the head's department as the clients service
announces it (``orbit.clients.settings.changed.v1``, ``PUT /api/v1/settings?department=``):
its report schedule (when, which periods) and its deviation threshold (a manager's SLA
compliance falling by fewer points is no deviation)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from services.clients.events import SettingsChangedV1
from services.notifications.app import create_app
from services.notifications.domain.scorecard.reports import TEMPLATE
from services.notifications.handlers.scorecard.reports import write_reports
from services.notifications.settings import NotificationsSettings
from services.notifications.store.models import Delivery
from shared.clock import FixedClock
from shared.runtime import ServiceRuntime
from tests.integration.notifications.scorecard_world import NOW, World, build
from tests.support.apps import running, runtime_of, test_settings

pytestmark = pytest.mark.integration

# The Monday after the world's week (2026-W48): its weekly report is due.
MONDAY = datetime.combine(NOW.date() + timedelta(days=7 - NOW.weekday()), NOW.time(), NOW.tzinfo)
FELL = "Соблюдение SLA у Ann упало"  # noqa: RUF001  # Ann's compliance fell 33.3 points


@pytest.fixture
async def world(pg_url: str) -> AsyncIterator[World]:
    settings = test_settings(database_url=pg_url)
    app = create_app(settings, clock=FixedClock(NOW), migrate_on_start=True, workers=False)
    async with running(app):
        world = World(runtime_of(app, "notifications"))
        await build(world)
        async with world.runtime.uow() as uow:  # the world's alerts: not the reports read here
            await uow.session.execute(update(Delivery).values(status="cancelled"))
            await uow.commit()
        yield world


async def policy(world: World, version: int, values: dict[str, Any]) -> None:
    await world.deliver(
        SettingsChangedV1(
            scope="department:Sales",
            department="Sales",
            version=version,
            values=values,
            changed_fields=sorted(values),
            actor_id=uuid.uuid4(),
            changed_at=NOW,
        ),
        NOW,
    )


async def reports(runtime: ServiceRuntime) -> list[tuple[str, str]]:
    async with runtime.reads() as session:
        rows = await session.scalars(select(Delivery).where(Delivery.template == TEMPLATE))
        return sorted((row.attachment_name or "", row.html_body or "") for row in rows)


async def test_the_department_sets_when_and_what_its_head_reads(world: World) -> None:
    settings = NotificationsSettings(**test_settings().model_dump())  # 07:00, day/week/month
    await policy(
        world,
        1,
        {
            "report_schedules": {"local_time": "18:30", "periods": ["week"]},
            "scorecard_deviation_points": 40,
        },
    )
    evening = MONDAY.replace(hour=18, minute=30)
    assert await write_reports(world.runtime.uow, evening - timedelta(minutes=1), settings) == 0
    assert await write_reports(world.runtime.uow, evening, settings) == 1
    ((name, html),) = await reports(world.runtime)
    assert name.startswith("scorecard-week-")  # not the daily one: the department's periods
    assert "Acme" in html and FELL not in html  # 33.3 points is below the department's 40

    # a lower threshold (the environment's schedule again): the week's report names the fall
    await policy(world, 2, {"scorecard_deviation_points": 30})
    async with world.runtime.uow() as uow:
        await uow.session.execute(delete(Delivery).where(Delivery.template == TEMPLATE))
        await uow.commit()
    assert await write_reports(world.runtime.uow, MONDAY.replace(hour=7), settings) == 2
    written = dict(await reports(world.runtime))
    assert FELL in next(html for name, html in written.items() if name.startswith("scorecard-week"))
