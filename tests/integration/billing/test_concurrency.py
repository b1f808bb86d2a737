"""Races on the real PostgreSQL between two replicas of the billing service (two apps, two
engines, one database): invoice numbers stay unique and gap-free, a payment reference is
booked once, every scheduled alert is emitted once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from services.billing.app import create_app
from services.billing.handlers.imports import import_rows
from services.billing.settings import BillingSettings
from services.billing.store.models import Invoice, Payment
from services.billing.workers import PaymentControl, scan_contracts, scan_invoices
from shared.clock import FixedClock
from shared.db import create_engine, session_factory
from shared.tables import outbox, scheduled_alerts
from shared.uow import UnitOfWorkFactory
from tests.integration.billing.helpers import NOW, Api, billing_settings
from tests.support.apps import ADMIN, ADMIN_ID, running, runtime_of

pytestmark = pytest.mark.integration


@pytest.fixture
async def replicas(pg_url: str) -> AsyncIterator[list[Api]]:
    """Two billing apps on one database (the first migrates it)."""
    async with AsyncExitStack() as stack:
        apis = []
        for index in range(2):
            clock = FixedClock(NOW)
            app = create_app(billing_settings(pg_url), clock=clock, migrate_on_start=index == 0)
            http = await stack.enter_async_context(running(app))
            apis.append(Api(http, runtime_of(app, "billing"), clock))
        yield apis


async def test_concurrent_issues_never_share_or_skip_a_number(replicas: list[Api]) -> None:
    first, second = replicas
    clients = [await first.client(f"Client {i}", None) for i in range(6)]
    drafts = [await first.invoice(c) for c in clients for _ in range(5)]

    async def issue(index: int, draft: dict[str, str]) -> httpx.Response:
        api = replicas[index % 2]
        return await api.http.post(f"/api/v1/invoices/{draft['id']}/issue", headers=ADMIN)

    responses = await asyncio.gather(*(issue(i, d) for i, d in enumerate(drafts)))
    assert {r.status_code for r in responses} == {200}, [
        r.text for r in responses if r.status_code != 200
    ]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"2026-{n:06d}" for n in range(1, len(drafts) + 1)]
    # issuing again races too: exactly one wins, the others are 409, no number used up
    again = await asyncio.gather(*(issue(i, drafts[0]) for i in range(4)))
    assert [r.status_code for r in again] == [409] * 4
    late = await second.invoice(clients[0], issue={})
    assert late["number"] == f"2026-{len(drafts) + 1:06d}"


async def test_concurrent_posts_of_one_reference_book_it_once(replicas: list[Api]) -> None:
    first, _ = replicas
    client = await first.client("Acme", None)
    invoice = await first.invoice(client, issue={})
    body = {"client_id": client, "amount": "70.00", "currency": "EUR", "reference": "SEPA-42"}
    responses = await asyncio.gather(
        *(replicas[i % 2].http.post("/api/v1/payments", json=body, headers=ADMIN) for i in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    async with first.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Payment)) == 1
        paid = await session.scalar(select(Invoice.amount_paid).where(Invoice.id == invoice["id"]))
    assert paid == 70
    assert len(await first.events("orbit.billing.payment.received.v1")) == 1


async def test_two_scanners_emit_each_alert_once(pg_url: str, api: Api) -> None:
    """Many invoices and contracts, scanned day by day by two scanners at once (their own
    engines, i.e. connections): every alert exactly once."""
    clients = [
        await api.client(f"Client {i}", None, timezone=tz)
        for i, tz in enumerate(["UTC", "Pacific/Kiritimati", "America/Los_Angeles"] * 4)
    ]
    for i, client in enumerate(clients):
        for k in range(3):
            await api.invoice(
                client,
                issue={"issue_date": "2026-11-01", "due_date": f"2026-11-{10 + k + i % 5:02d}"},
            )
        await api.post(
            "/api/v1/contracts",
            {
                "client_id": client,
                "number": f"C-{i}",
                "title": "Support",
                "starts_on": "2025-12-01",
                "ends_on": "2026-12-05",
                "renewal_notice_days": 14,
                "auto_renew": i % 2 == 0,
            },
            expect=201,
        )
    engines = [create_engine(pg_url) for _ in range(2)]
    clock = FixedClock(NOW)
    factories = [UnitOfWorkFactory(session_factory(e), clock) for e in engines]
    control = PaymentControl((-3, 1, 7, 14, 30), 14)
    try:
        for day in range(0, 45):
            now = NOW + timedelta(days=day, hours=day % 24)
            clock.set(now)
            await asyncio.gather(
                *(
                    job
                    for f in factories
                    for job in (
                        scan_invoices(f, now, control, batch_size=7),
                        scan_contracts(f, now, batch_size=5),
                    )
                )
            )
    finally:
        for engine in engines:
            await engine.dispose()
    async with api.runtime.sessions() as session:
        types = Counter((await session.scalars(select(outbox.c.event_type))).all())
        alerts = await session.scalar(select(func.count()).select_from(scheduled_alerts))
        keys = (await session.scalars(select(outbox.c.event_id))).all()
    assert len(keys) == len(set(keys))
    invoices = len(clients) * 3
    assert types["orbit.billing.invoice.overdue.v1"] == invoices
    # by 2026-12-07 (day 44) every invoice passed steps 1, 7, 14 (due 10th-16th Nov) and
    # the -3 step was missed (issued late): the first scan sends the latest step only
    reminders = types["orbit.billing.invoice.payment_reminder_due.v1"]
    assert reminders == len(await api.events("orbit.billing.invoice.payment_reminder_due.v1"))
    per_invoice = Counter(
        (e["invoice_id"], e["step"])
        for e in await api.events("orbit.billing.invoice.payment_reminder_due.v1")
    )
    assert set(per_invoice.values()) == {1}
    assert types["orbit.billing.contract.expiring.v1"] == len(clients)
    assert types["orbit.billing.contract.renewed.v1"] == len(clients) // 2
    assert types["orbit.billing.contract.expired.v1"] == len(clients) - len(clients) // 2
    scheduled = sum(
        types[t]
        for t in types
        if t.split(".")[3] in ("overdue", "payment_reminder_due", "expiring", "renewed", "expired")
    )
    assert alerts == scheduled


async def test_an_import_racing_issues_keeps_the_numbers_gap_free(replicas: list[Api]) -> None:
    """An import takes its numbers in one step of the year's counter (held to its commit)
    while the API issues invoices on the other replica: no number is shared or skipped, and
    the import's follow its rows."""
    first, second = replicas
    clients = [await first.client(f"Client {i}", None) for i in range(4)]
    drafts = [await second.invoice(c) for c in clients for _ in range(3)]
    today = NOW.date()
    rows = [
        {
            "row": n,
            "client_id": clients[n % len(clients)],
            "cells": {
                "external_id": f"i-{n}",
                "number": f"OLD-{n}",
                "issue_date": (today - timedelta(days=n % 20)).isoformat(),
                "currency": "EUR",
                "amount": "10.00",
            },
        }
        for n in range(1, 41)
    ]
    settings = first.runtime.settings
    assert isinstance(settings, BillingSettings)
    asked = {"caller": {"id": str(ADMIN_ID), "role": "admin"}, "dry_run": False, "rows": rows}

    async def issue(draft: dict[str, str]) -> httpx.Response:
        return await second.http.post(f"/api/v1/invoices/{draft['id']}/issue", headers=ADMIN)

    answer, *responses = await asyncio.gather(
        import_rows(first.runtime.uow, settings, "invoices", asked), *(issue(d) for d in drafts)
    )
    assert answer["errors"] == [] and answer["outcome"]["created"] == len(rows)
    assert {r.status_code for r in responses} == {200}
    async with first.runtime.sessions() as session:
        found = (await session.execute(select(Invoice.external_id, Invoice.number))).all()
    numbers = sorted(number for _, number in found)
    assert numbers == [f"{today.year}-{n:06d}" for n in range(1, len(rows) + len(drafts) + 1)]
    imported = dict(found)
    in_row_order = [imported[f"i-{n}"] for n in range(1, len(rows) + 1)]
    assert in_row_order == sorted(in_row_order)
