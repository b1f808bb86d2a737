"""Scenario 6c: the injected clock jumps forward by a day under two running replicas of the
interactions and of the billing service (each pair on one database, its schedulers scanning
every second in the background). Each alert that falls due in the jump fires once — SLA
breaches, overdue meeting reports, lapsed contact cadences, overdue tasks, overdue invoices,
expiring contracts — and nothing that is not due yet; also when every scan is then run twice
more by both replicas at once, and although the first scans after the jump had their
database sessions killed (``pg_terminate_backend``) while emitting (the test holds a lock on
``scheduled_alerts`` so the kill lands inside their transactions)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.billing.app import create_app as billing_app
from services.interactions.app import create_app as interactions_app
from shared.clock import FixedClock
from shared.runtime import ServiceRuntime
from shared.tables import outbox
from tests.faults.inproc import Row, admin, connect, database_of, kill_waiting, report, settled
from tests.integration.billing.helpers import Api as BillingApi
from tests.integration.interactions.helpers import Api as InteractionsApi
from tests.integration.interactions.helpers import iso
from tests.support.apps import running, runtime_of, test_settings
from tests.support.servers import fresh_postgres_database
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday
JUMP = timedelta(days=1)
UTC_24X7 = {"timezone": "UTC", "working_hours": "24x7", "holidays_country": None}
DUE = 3  # subjects of each kind falling due in the jump (and one more that does not)


async def two_replicas(
    stack: AsyncExitStack, factory: Callable[..., Any], service: str, clock: FixedClock
) -> tuple[str, list[tuple[Any, ServiceRuntime]]]:
    url = await stack.enter_async_context(fresh_postgres_database(f"jump_{service[:5]}"))
    replicas = []
    for _ in range(2):
        app = factory(
            test_settings(database_url=url, scheduler_interval_seconds=1),
            clock=clock,
            migrate_on_start=True,
        )
        http = await stack.enter_async_context(running(app))
        replicas.append((http, runtime_of(app, service)))
    return url, replicas


async def alerts(runtime: ServiceRuntime, types: Mapping[str, int]) -> Counter[str]:
    async def read() -> Counter[str]:
        async with runtime.sessions() as session:
            rows = await session.scalars(
                select(outbox.c.event_type).where(outbox.c.event_type.in_(list(types)))
            )
            return Counter(rows)

    return await settled(read)


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


async def test_a_day_jump_fires_each_due_alert_once(stack: AsyncExitStack) -> None:
    clock = FixedClock(NOW)
    i_url, interactions = await two_replicas(stack, interactions_app, "interactions", clock)
    b_url, billing = await two_replicas(stack, billing_app, "billing", clock)
    ia = InteractionsApi(interactions[0][0], interactions[0][1], clock)
    ba = BillingApi(billing[0][0], billing[0][1], clock)

    # interactions: per due client a request (60 min SLA), a meeting without report (12 h),
    # a task due in 2 h and a 1-day contact cadence; one more client due in 3 days only
    mia = await ia.staff("Mia", "manager", "north")
    for i in range(DUE + 1):
        due = i < DUE
        client = await ia.client(
            f"Client {i}",
            mia,
            first_response_minutes=60 if due else 3 * 24 * 60,
            cadence_days=1 if due else 3,
            report_hours=12 if due else 72,
            calendar=UTC_24X7,
        )
        await ia.log(mia.headers, client, requires_response=True)
        await ia.log(
            mia.headers,
            client,
            type="meeting",
            direction="outbound",
            occurred_at=iso(NOW - timedelta(hours=1)),
        )
        task = await ia.http.post(
            "/api/v1/tasks",
            headers=mia.headers,
            json={
                "client_id": client.id,
                "title": "Send the offer",
                "assignee_id": mia.id,
                "due_at": iso(NOW + (timedelta(hours=2) if due else timedelta(days=3))),
            },
        )
        assert task.status_code == 201, task.text
    interactions_due = {
        f"orbit.interactions.{t}.v1": DUE
        for t in (
            "sla.breached",
            "meeting.report_overdue",
            "task.overdue",
            "client.contact_overdue",
        )
    }

    # billing: per due client an invoice due today and a contract entering its notice period
    # tomorrow; one more client with both a week later
    manager = await ba.staff("Max")
    today = NOW.date()
    for i in range(DUE + 1):
        later = timedelta(days=0 if i < DUE else 7)
        client_id = await ba.client(f"Account {i}", manager)
        await ba.invoice(
            client_id,
            issue={"issue_date": str(today - timedelta(days=30)), "due_date": str(today + later)},
        )
        await ba.post(
            "/api/v1/contracts",
            {
                "client_id": client_id,
                "number": f"C-{i}",
                "title": "Support",
                "starts_on": str(today - timedelta(days=350)),
                "ends_on": str(today + timedelta(days=15) + later),
                "renewal_notice_days": 14,
                "auto_renew": False,
            },
            expect=201,
        )
    billing_due = {
        "orbit.billing.invoice.overdue.v1": DUE,
        "orbit.billing.contract.expiring.v1": DUE,
    }

    # let every replica scan "today" at least once: nothing of the above is due yet
    for _, runtime in interactions + billing:
        await runtime.scheduler.run_once()
    assert sum((await alerts(ia.runtime, interactions_due)).values()) == 0
    assert sum((await alerts(ba.runtime, billing_due)).values()) == 0

    # The jump, with the first scans' sessions killed while they emit.
    killer = await admin()
    stack.push_async_callback(killer.close)
    holders = [await connect(url) for url in (i_url, b_url)]
    for holder in holders:
        stack.push_async_callback(holder.close)
        await holder.execute("BEGIN")
        await holder.execute("LOCK TABLE scheduled_alerts IN SHARE ROW EXCLUSIVE MODE")
    clock.advance(JUMP)
    killed = [
        await kill_waiting(killer, database_of(url), "scheduled_alerts") for url in (i_url, b_url)
    ]
    for holder in holders:
        await holder.execute("COMMIT")

    for api, due in ((ia, interactions_due), (ba, billing_due)):

        async def complete(api: Any = api, due: Mapping[str, int] = due) -> bool:
            return await alerts(api.runtime, due) == Counter(due)

        await eventually(complete, timeout=60, interval=0.2, what="the alerts due in the jump")

    # every scan twice more, by both replicas at once: nothing more
    for _ in range(2):
        await asyncio.gather(*(r.scheduler.run_once() for _, r in interactions + billing))

    for name, api, due in (("interactions", ia, interactions_due), ("billing", ba, billing_due)):
        seen = await alerts(api.runtime, due)

        expected = sum(due.values())
        observed = sum(seen.values())
        lost = sum(max(0, n - seen[t]) for t, n in due.items())
        duplicated = sum(max(0, seen[t] - n) for t, n in due.items())
        report(
            Row(
                f"6c clock +1 day, 2 replicas of {name}, scans x3, scan sessions killed",
                2 * (DUE + 1) if name == "billing" else 3 * (DUE + 1),
                expected,
                observed,
                lost,
                duplicated,
            )
        )
        assert seen == Counter(due), (name, seen)
    assert all(killed), "a scan was not caught emitting"
