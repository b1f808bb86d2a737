"""Billing benchmarks (run by ``make bench`` through tests/bench/__main__.py, on PostgreSQL when
ORBIT_TEST_DATABASE_URL is set, else SQLite), each against a baseline measured in the same run:

- issuing invoices concurrently (each takes the year's counter row lock) against creating
  drafts (no shared lock) with the same concurrency: invoices per second and the ratio;
- the payment-control scan over 100,000 issued invoices of which some are due, against a
  raw indexed select of the due rows; and the next scan, when nothing is due any more.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text

from services.billing.app import SPEC as BILLING
from services.billing.commands import InvoiceIn, IssueIn, LineIn
from services.billing.handlers import invoices as handlers
from services.billing.settings import BillingSettings
from services.billing.store.models import OPEN_INVOICE, Invoice
from services.billing.workers import PaymentControl, scan_invoices
from shared.auth import Caller, Role
from shared.clock import FixedClock
from shared.db import create_engine, session_factory
from shared.migrations import migrate
from shared.replicas import client_replica
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.bench import summary

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ADMIN = Caller(uuid.UUID("00000000-0000-4000-8000-000000000001"), Role.ADMIN)
INVOICES = 400
CONCURRENCY = 8
SCANNED = 100_000
DUE_SHARE = 20  # one invoice in DUE_SHARE is due at the scan


async def _seed_clients(uows: UnitOfWorkFactory, count: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    async with uows() as uow:
        await uow.session.execute(
            insert(client_replica),
            [
                {
                    "id": i,
                    "name": f"Client {n}",
                    "tier": "standard",
                    "status": "active",
                    "account_manager_id": None,
                    "timezone": "UTC",
                    "country": None,
                    "sla": {},
                    "contacts": [],
                    "source_time": NOW,
                }
                for n, i in enumerate(ids)
            ],
        )
        await uow.commit()
    return ids


async def _concurrently(
    uows: UnitOfWorkFactory, jobs: list[Callable[[UnitOfWork], Awaitable[Any]]]
) -> float:
    queue = list(jobs)

    async def worker() -> None:
        while queue:
            job = queue.pop()
            async with uows() as uow:
                await job(uow)
                await uow.commit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


async def issue_vs_drafts(url: str) -> list[str]:
    engine = create_engine(url, pool_size=CONCURRENCY)
    uows = UnitOfWorkFactory(session_factory(engine), FixedClock(NOW))
    clients = await _seed_clients(uows, 40)
    settings = BillingSettings()
    line = LineIn(
        description="Work",
        quantity=Decimal(3),
        unit_price=Decimal("99.90"),
        tax_rate=Decimal("0.2"),
    )
    drafts: list[uuid.UUID] = []

    def draft(client: uuid.UUID) -> Callable[[UnitOfWork], Awaitable[Any]]:
        async def job(uow: UnitOfWork) -> None:
            invoice = await handlers.create_invoice(
                uow, ADMIN, InvoiceIn(client_id=client, currency="EUR", lines=[line])
            )
            drafts.append(invoice.id)

        return job

    def issue(invoice_id: uuid.UUID) -> Callable[[UnitOfWork], Awaitable[Any]]:
        async def job(uow: UnitOfWork) -> None:
            await handlers.issue_invoice(uow, ADMIN, invoice_id, IssueIn(), settings)

        return job

    draft_seconds = await _concurrently(
        uows, [draft(clients[n % len(clients)]) for n in range(INVOICES)]
    )
    issue_seconds = await _concurrently(uows, [issue(i) for i in drafts])
    async with uows() as uow:
        numbers = (await uow.session.scalars(select(Invoice.number))).all()
    assert sorted(numbers) == [f"2026-{n:06d}" for n in range(1, INVOICES + 1)], "gap or dup"
    await engine.dispose()
    drafts_rate, issue_rate = INVOICES / draft_seconds, INVOICES / issue_seconds
    summary.at_least(
        f"issue invoices ({CONCURRENCY} concurrent, numbering lock) vs create drafts",
        issue_rate,
        drafts_rate,
        "invoices/s",
        0.5,
    )
    return [
        f"| create drafts (baseline) | {INVOICES} | {CONCURRENCY} | {draft_seconds:.2f} | "
        f"{drafts_rate:,.0f} | 100 % |",
        f"| issue (numbering lock) | {INVOICES} | {CONCURRENCY} | {issue_seconds:.2f} | "
        f"{issue_rate:,.0f} | {issue_rate / drafts_rate:.0%} |",
    ]


async def scan_vs_select(url: str) -> list[str]:
    engine = create_engine(url)
    uows = UnitOfWorkFactory(session_factory(engine), FixedClock(NOW))
    clients = await _seed_clients(uows, 500)
    today = NOW.date()
    rows = []
    for n in range(SCANNED):
        due = n % DUE_SHARE == 0
        due_date = today - timedelta(days=1) if due else today + timedelta(days=20 + n % 30)
        rows.append(
            {
                "id": uuid.uuid4(),
                "client_id": clients[n % len(clients)],
                "contract_id": None,
                "estimate_id": None,
                "number": f"2026-{n + 1:06d}",
                "currency": "EUR",
                "lines": [],
                "subtotal": Decimal(100),
                "tax": Decimal(20),
                "total": Decimal(120),
                "amount_paid": Decimal(0),
                "status": "issued",
                "issue_date": date(2026, 10, 1),
                "due_date": due_date,
                "overdue_sent": False,
                "dunning_step": None,
                "next_action_on": min(due_date - timedelta(days=3), due_date + timedelta(days=1)),
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    async with uows() as uow:
        for start in range(0, len(rows), 5000):
            await uow.session.execute(insert(Invoice), rows[start : start + 5000])
        await uow.commit()
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE invoices"))
            await conn.commit()
    due_rows = SCANNED // DUE_SHARE

    async def raw_select() -> float:
        started = time.perf_counter()
        async with uows() as uow:
            found = (
                await uow.session.execute(
                    select(Invoice.id, Invoice.client_id, Invoice.next_action_on)
                    .where(text(OPEN_INVOICE), Invoice.next_action_on <= today + timedelta(days=1))
                    .order_by(Invoice.next_action_on, Invoice.id)
                )
            ).all()
        assert len(found) >= due_rows
        return time.perf_counter() - started

    baseline = await raw_select()
    control = PaymentControl((-3, 1, 7, 14, 30), 14)
    batch = BillingSettings.model_construct().billing_scan_batch_size  # the default's batch
    started = time.perf_counter()
    emitted = await scan_invoices(uows, NOW, control, batch)
    scan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = await scan_invoices(uows, NOW, control, batch)
    idle_seconds = time.perf_counter() - started
    async with uows() as uow:
        overdue = await uow.session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.status == "overdue")
        )
    assert overdue == due_rows and again == 0, (overdue, again)
    await engine.dispose()
    summary.record(
        f"payment-control scan, {SCANNED:,} invoices, {due_rows:,} due",
        f"{scan_seconds:.2f} s",
        f"{baseline:.3f} s (raw indexed select)",
        f"{scan_seconds / baseline:.0f}x the time",
    )
    return [
        f"| raw indexed select of the due rows (baseline) | {SCANNED:,} | {due_rows:,} | "
        f"- | {baseline:.3f} | 1x |",
        f"| payment-control scan, {due_rows:,} due | {SCANNED:,} | {due_rows:,} | {emitted:,} | "
        f"{scan_seconds:.2f} | {scan_seconds / baseline:.0f}x |",
        f"| the next scan, nothing due | {SCANNED:,} | 0 | 0 | {idle_seconds:.3f} | "
        f"{idle_seconds / baseline:.1f}x |",
    ]


async def billing_report(make_url: Callable[[], Awaitable[str]], setup: str) -> str:
    url = await make_url()
    await migrate(BILLING.migrations, url)
    issuing = await issue_vs_drafts(url)
    url = await make_url()
    await migrate(BILLING.migrations, url)
    scanning = await scan_vs_select(url)
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    return "\n".join(
        [
            f"## Billing: invoice numbering and payment control — {stamp} UTC ({setup})",
            "",
            f"{INVOICES} invoices created as drafts, then issued, by {CONCURRENCY} concurrent "
            "workers through the use cases (each issue locks the year's counter row until it "
            "commits: numbers unique and gap-free, checked). Goal: issuing keeps at least 50 % of "
            "the draft rate.",
            "",
            "| operation | invoices | concurrency | seconds | invoices/s | vs drafts |",
            "|---|---|---|---|---|---|",
            *issuing,
            "",
            f"The payment-control scan over {SCANNED:,} issued invoices, one in {DUE_SHARE} due "
            "(each gets invoice.overdue and a reminder), in batches of 500 through the partial "
            "index on the open rows, against a raw select of the due rows through that index.",
            "",
            "| operation | invoices | due | events | seconds | vs raw select |",
            "|---|---|---|---|---|---|",
            *scanning,
            "",
        ]
    )
