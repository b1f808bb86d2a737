"""The import benchmark (run by ``make bench`` through tests/bench/__main__.py, section
``imports``): a CSV of 10,000 clients of 20 managers read, checked by a dry run, imported,
then imported again (nothing changes, nothing is created twice), through the route's reader
and the job's own functions (``api/uploads.py``, ``handlers/imports.py``), on PostgreSQL and
on SQLite; then a CSV of 10,000 contracts (one per client) and one of 10,000 open invoices
(one per contract) the same way, the clients job handing the rows to billing's run in the
process (``orbit run``'s way; billing in a database of its own, its replica of the clients
filled from the clients' table as their events would). Goal (issue 22): each import well
under a minute; the contracts and invoices against the clients measured in the same run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from services.billing.app import SPEC as BILLING
from services.billing.handlers.imports import import_rows as billing_import
from services.billing.settings import BillingSettings
from services.billing.store.models import Contract, Invoice
from services.clients.api.uploads import read_table
from services.clients.app import SPEC as CLIENTS
from services.clients.commands import StaffIn
from services.clients.domain.imports import map_header, rows_of
from services.clients.handlers.imports import queue_import, run_queued_imports
from services.clients.handlers.staff import create_staff
from services.clients.settings import ClientsSettings
from services.clients.store.models import Client, Import
from shared.auth import Caller, Role
from shared.clock import FixedClock
from shared.db import create_engine, session_factory
from shared.imports import ImportRun
from shared.migrations import migrate
from shared.replicas import client_replica
from shared.uow import UnitOfWorkFactory
from tests.bench import summary

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ADMIN = Caller(uuid.UUID("00000000-0000-4000-8000-000000000001"), Role.ADMIN)
ROWS = 10_000
MANAGERS = 20
GOAL_SECONDS = 60
TIERS = ("key", "standard", "small")
PLACES = (("DE", "Europe/Berlin"), ("FR", "Europe/Paris"), ("GB", "Europe/London"))


def clients_csv() -> bytes:
    lines = ["external_id,name,tier,country,timezone,account_manager_email,tags"]
    for n in range(ROWS):
        country, zone = PLACES[n % len(PLACES)]
        lines.append(
            f"legacy-{n:05d},Client {n:05d} GmbH,{TIERS[n % 3]},{country},{zone},"
            f"manager{n % MANAGERS}@bench.example,imported; wave-{n % 4}"
        )
    return ("\n".join(lines) + "\n").encode()


def contracts_csv() -> bytes:
    """A contract per client, a year from three months ago."""
    starts, ends = NOW.date() - timedelta(days=90), NOW.date() + timedelta(days=275)
    lines = [
        "external_id,client_external_id,number,title,starts_on,ends_on,value_amount,value_currency"
    ]
    for n in range(ROWS):
        lines.append(
            f"contract-{n:05d},legacy-{n:05d},K-{n:05d},Support {n % 7},{starts},{ends},"
            f"{1200 + n % 50}.00,EUR"
        )
    return ("\n".join(lines) + "\n").encode()


def invoices_csv() -> bytes:
    """An open invoice per contract, issued in the last two months, due in 30 days."""
    lines = [
        "external_id,client_external_id,contract_number,number,issue_date,due_date,currency,amount"
    ]
    for n in range(ROWS):
        issued = NOW.date() - timedelta(days=n % 60)
        lines.append(
            f"invoice-{n:05d},legacy-{n:05d},K-{n:05d},OLD-{n:05d},{issued},"
            f"{issued + timedelta(days=30)},EUR,{100 + n % 90}.50"
        )
    return ("\n".join(lines) + "\n").encode()


# The billing kinds: their table, their file.
BILLING_FILES: tuple[tuple[str, type[Contract] | type[Invoice], Callable[[], bytes]], ...] = (
    ("contracts", Contract, contracts_csv),
    ("invoices", Invoice, invoices_csv),
)


async def one_import(
    uows: UnitOfWorkFactory,
    settings: ClientsSettings,
    content: bytes,
    *,
    dry_run: bool,
    kind: str = "clients",
    importers: Mapping[str, ImportRun] | None = None,
) -> tuple[float, float, float, dict[str, int]]:
    """Read ``content`` as the route does, queue it, run it: (read seconds, run seconds, the
    run's CPU seconds in this process, its outcome)."""
    started = time.perf_counter()
    header, cells = read_table(content, settings.clients_import_max_rows)
    rows = rows_of(map_header(kind, header), cells)
    read = time.perf_counter() - started
    async with uows() as uow:
        queued = await queue_import(uow, ADMIN, kind, dry_run, "bench.csv", rows)
        await uow.commit()
    started, cpu = time.perf_counter(), time.process_time()
    assert await run_queued_imports(uows, settings, importers) == 1
    ran, cpu = time.perf_counter() - started, time.process_time() - cpu
    async with uows() as uow:
        found = await uow.session.get(Import, queued.id)
        assert found is not None and found.status == "succeeded", found and found.errors[:3]
        outcome = dict(found.outcome)
    return read, ran, cpu, outcome


async def billing_of(clients: UnitOfWorkFactory, url: str) -> tuple[UnitOfWorkFactory, ImportRun]:
    """Billing on ``url`` with the clients in its replica (as their events leave them), and
    its run of an import (``api/imports.py``'s in this process)."""
    await migrate(BILLING.migrations, url)
    uows = UnitOfWorkFactory(session_factory(create_engine(url)), FixedClock(NOW))
    async with clients() as uow:
        found = (
            await uow.session.execute(
                select(
                    Client.id,
                    Client.name,
                    Client.tier,
                    Client.status,
                    Client.account_manager_id,
                    Client.timezone,
                    Client.country,
                )
            )
        ).all()
    async with uows() as uow:
        await uow.session.execute(
            insert(client_replica),
            [{**row._asdict(), "sla": {}, "contacts": [], "source_time": NOW} for row in found],
        )
        await uow.commit()
    settings = BillingSettings()

    async def run(kind: str, request: dict[str, Any]) -> dict[str, Any]:
        return await billing_import(uows, settings, kind, request)

    return uows, run


def row_of(setup: str, kind: str, content: bytes, times: tuple[float, ...]) -> str:
    read, dry, real, cpu, again = times
    return (
        f"| {setup} | {kind} | {len(content) / 1024:,.0f} KiB | {read:.2f} | {dry:.1f} | "
        f"{real:.1f} | {cpu:.1f} | {ROWS / (read + real):,.0f} | {again:.1f} |"
    )


async def import_rows(url: str, billing_url: str, setup: str) -> list[str]:
    await migrate(CLIENTS.migrations, url)
    engine = create_engine(url)
    uows = UnitOfWorkFactory(session_factory(engine), FixedClock(NOW))
    settings = ClientsSettings()
    async with uows() as uow:
        for n in range(MANAGERS):
            body = StaffIn(name=f"Manager {n}", email=f"manager{n}@bench.example")
            await create_staff(uow, ADMIN, body)
        await uow.commit()
    content = clients_csv()
    read, dry, _, _ = await one_import(uows, settings, content, dry_run=True)
    _, real, cpu, done = await one_import(uows, settings, content, dry_run=False)
    _, again, _, repeated = await one_import(uows, settings, content, dry_run=False)
    async with uows() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(Client))
    assert count == ROWS and done["created"] == ROWS, (count, done)
    assert repeated["unchanged"] == ROWS, repeated
    baseline = read + real
    summary.record(
        f"import of {ROWS:,} client rows, CSV ({setup})",
        f"{baseline:.1f} s ({cpu:.1f} s CPU)",
        "-",
        "-",
        f"< {GOAL_SECONDS} s",
        baseline < GOAL_SECONDS,
    )
    lines = [row_of(setup, "clients", content, (read, dry, real, cpu, again))]
    billing, run = await billing_of(uows, billing_url)
    importers = {"billing": run}
    for kind, entity, make in BILLING_FILES:
        content = make()
        times = []
        outcomes = []
        for dry_run in (True, False, False):
            read, ran, cpu, outcome = await one_import(
                uows, settings, content, dry_run=dry_run, kind=kind, importers=importers
            )
            times.append((read, ran, cpu))
            outcomes.append(outcome)
        async with billing() as uow:
            count = await uow.session.scalar(select(func.count()).select_from(entity))
        assert count == ROWS and outcomes[1]["created"] == ROWS, (kind, count, outcomes)
        assert outcomes[2]["unchanged"] == ROWS, (kind, outcomes)
        (read, dry, _), (_, real, cpu), (_, again, _) = times
        took = read + real
        summary.record(
            f"import of {ROWS:,} {kind[:-1]} rows, CSV ({setup}) vs {ROWS:,} client rows",
            f"{took:.1f} s ({cpu:.1f} s CPU)",
            f"{baseline:.1f} s",
            f"{took / baseline:.2f}x",
            f"< {GOAL_SECONDS} s",
            took < GOAL_SECONDS,
        )
        lines.append(row_of(setup, kind, content, (read, dry, real, cpu, again)))
    await engine.dispose()
    return lines


async def imports_report(urls: list[tuple[Callable[[], Awaitable[str]], str]]) -> str:
    rows: list[str] = []
    for make_url, setup in urls:
        rows += await import_rows(await make_url(), await make_url(), setup)
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    return "\n".join(
        [
            f"### Imports: {ROWS:,} clients, contracts and invoices from CSVs — {stamp} UTC",
            "",
            f"A CSV of {ROWS:,} clients of {MANAGERS} managers (external_id, name, tier, "
            "country, timezone, account manager's email, two tags) read as the route reads "
            "it, then run by the import job: a dry run (every row through ClientIn and "
            "create_client, rolled back), the import (one transaction, a client.created "
            "event per row in the outbox), and the same file again (every row found by its "
            "external_id, nothing changed, no event). Then the same for a CSV of "
            f"{ROWS:,} contracts (one per client, with a value) and one of {ROWS:,} open "
            "invoices (one per contract, issued in the last 60 days): the clients job finds "
            "each row's client and hands the rows to billing (in the process, as under "
            "`orbit run`; billing in a database of its own), which checks every row as its "
            "use cases do and writes the new ones at once (a contract.created or "
            "invoice.issued event and the audit rows of each, every invoice numbered "
            "gap-free in row order). Goal: each import under "
            f"{GOAL_SECONDS} s (read + run); the contracts and invoices against the "
            "clients of the same run. The CPU column is the run's CPU time in Orbit's "
            "process alone (the database's own is not in it): on a machine shared with "
            "other work, the wall time is the CPU time stretched by the load (the load "
            "average is in the report's header).",
            "",
            "| database | kind | file | read s | dry run s | import s | import CPU s (Orbit's "
            "process) | rows/s (read + import) | again s |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
