"""One client at a glance at department scale (alone: ``python -m tests.bench.timeline``, on
the PostgreSQL of ORBIT_TEST_DATABASE_URL): 2,000 clients of 50 managers with 200 timeline
entries and 20 dated things each (400,000 entries, 40,000 things), then, as the manager of
one client, sequentially:

- the first page of the timeline (50) and a page deep in it (through the cursor), against the
  raw SQL of the same page (one indexed ``SELECT … ORDER BY at DESC, key DESC LIMIT 51``);
- the summary (the scope check, the open things, the facts row);
- the manager's calendar feed (40 clients' dated things and birthdays, built with icalendar).

Prints p50/p99 in milliseconds per operation.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, text

from services.notifications.app import SPEC as NOTIFICATIONS
from services.notifications.handlers import calendar, timeline
from services.notifications.store import timeline as store
from shared.auth import Caller, Role
from shared.db import create_engine, session_factory
from shared.migrations import migrate
from shared.replicas import client_replica, staff_replica
from tests.support.servers import fresh_postgres_database

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MANAGERS, CLIENTS, ENTRIES, THINGS = 50, 2000, 200, 20
ROUNDS = 200
TYPES = ("interaction", "request", "invoice", "payment", "task", "feedback")
KINDS = ("request", "task", "invoice", "contract", "birthday")


def _rows() -> tuple[list[dict[str, Any]], ...]:
    rng = random.Random(7)
    managers = [uuid.uuid4() for _ in range(MANAGERS)]
    staff = [
        {
            "id": m,
            "name": f"M{i}",
            "email": f"m{i}@bench.example",
            "role": "manager",
            "department": "sales",
            "head_id": None,
            "timezone": "UTC",
            "active": True,
            "source_time": NOW,
        }
        for i, m in enumerate(managers)
    ]
    clients, entries, things = [], [], []
    for c in range(CLIENTS):
        client_id, manager = uuid.uuid4(), managers[c % MANAGERS]
        clients.append(
            {
                "id": client_id,
                "name": f"Client {c}",
                "tier": "standard",
                "status": "active",
                "account_manager_id": manager,
                "timezone": "Europe/Berlin",
                "sla": {"contact_cadence_days": 14},
                "contacts": [],
                "source_time": NOW,
            }
        )
        for e in range(ENTRIES):
            at = NOW - timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
            entries.append(
                {
                    "key": uuid.uuid4(),
                    "client_id": client_id,
                    "type": TYPES[e % len(TYPES)],
                    "entity_id": uuid.uuid4(),
                    "at": at,
                    "title": f"Entry {e}",
                    "details": {"n": e},
                    "event_id": uuid.uuid4(),
                    "source_time": at,
                }
            )
        for t in range(THINGS):
            kind = KINDS[t % len(KINDS)]
            due = NOW + timedelta(days=rng.randrange(-30, 300))
            things.append(
                {
                    "key": uuid.uuid4(),
                    "kind": kind,
                    "entity_id": uuid.uuid4(),
                    "client_id": client_id,
                    "status": {"request": "acknowledged", "task": "open", "invoice": "issued"}.get(
                        kind, "active"
                    ),
                    "title": f"{kind} {t}",
                    "at": due,
                    "promised_by": due if kind == "request" else None,
                    "on_date": due.date(),
                    "currency": "EUR" if kind == "invoice" else None,
                    "balance": Decimal("100.00") if kind == "invoice" else None,
                    "staff_id": manager if kind == "task" else None,
                    "sequence": 0,
                    "birthday": f"--{1 + t % 12:02d}-{1 + t % 28:02d}"
                    if kind == "birthday"
                    else None,
                    "source_time": NOW,
                }
            )
    return staff, clients, entries, things


async def _timed(call: Callable[[], Awaitable[Any]]) -> str:
    took = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await call()
        took.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(took, n=100)
    return f"p50 {statistics.median(took):.2f} ms, p99 {cuts[98]:.2f} ms"


async def run(url: str) -> list[str]:
    await migrate(NOTIFICATIONS.migrations, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    staff, clients, entries, things = _rows()
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(insert(staff_replica), staff)
        await conn.execute(insert(client_replica), clients)
        for i in range(0, len(entries), 20_000):
            await conn.execute(insert(store.timeline_entries), entries[i : i + 20_000])
        await conn.execute(insert(store.timeline_items), things)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    lines = [
        f"loaded {len(entries):,} entries, {len(things):,} things in "
        f"{time.perf_counter() - started:.1f} s"
    ]
    client = clients[0]
    manager = Caller(id=client["account_manager_id"], role=Role.MANAGER, department="sales")

    async def page(cursor: str | None = None) -> Any:
        async with sessions() as session:
            return await timeline.timeline_page(
                session, manager, client["id"], types=[], before=None, limit=50, cursor=cursor
            )

    _, deep = await page()
    for _ in range(2):
        _, deep = await page(deep)
    raw = text(
        "SELECT * FROM timeline_entries WHERE client_id = :c ORDER BY at DESC, key DESC LIMIT 51"
    )

    async def raw_page() -> Any:
        async with sessions() as session:
            return (await session.execute(raw, {"c": client["id"]})).all()

    async def summary() -> Any:
        async with sessions() as session:
            return await timeline.client_summary(session, manager, client["id"], NOW)

    async def feed() -> Any:
        async with sessions() as session:
            owner = Caller(id=manager.id, role=Role.MANAGER, department="sales")
            rows = await store.calendar_rows(
                session,
                owner,
                NOW - calendar.FEED_PAST,
                (NOW - calendar.FEED_PAST).date(),
                calendar.FEED_LIMIT,
            )
            return calendar.build_calendar((dict(r._mapping) for r in rows), NOW, "Orbit")

    lines.append(f"timeline, first page (50): {await _timed(page)}")
    lines.append(f"timeline, the 4th page (cursor): {await _timed(lambda: page(deep))}")
    lines.append(f"raw SQL of the first page: {await _timed(raw_page)}")
    lines.append(f"summary: {await _timed(summary)}")
    events = (await feed()).count(b"BEGIN:VEVENT")
    lines.append(f"calendar feed ({events} events): {await _timed(feed)}")
    await engine.dispose()
    return lines


async def main() -> None:
    async with fresh_postgres_database("bench_timeline") as url:
        for line in await run(url):
            print(line)


if __name__ == "__main__":
    asyncio.run(main())
