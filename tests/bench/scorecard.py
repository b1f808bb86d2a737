"""Scorecard benchmarks (run by ``make bench`` through tests/bench/__main__.py, or alone:
``python -m tests.bench.scorecard``; PostgreSQL when ORBIT_TEST_DATABASE_URL is set, else
SQLite), each against a baseline measured in the same run:

- the projection's throughput: events applied per second by the notifications consumer with
  ``SCORECARD_SUBSCRIBERS`` (inbox row, the fact, ``sc_applied``, one commit per event)
  against the raw consumer (inbox row and commit, a handler that does nothing) on the same
  events;
- the scorecard over a year of data (50 managers, 2,000 clients: invoices, payments,
  requests, feedback, meetings, client states, opportunities) for an admin, a month with the
  previous one, a year earlier and the 8-month SLA trend, against raw SQL aggregates of the
  same rows (one GROUP BY per fact table and period).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from services.billing.events import InvoiceIssuedV1
from services.interactions.events import FeedbackReceivedV1, RequestOpenedV1
from services.notifications.app import SPEC as NOTIFICATIONS
from services.notifications.handlers.scorecard.projection import SCORECARD_SUBSCRIBERS
from services.notifications.handlers.scorecard.report import Audience, scorecard_for
from services.notifications.store.scorecard import models as m
from services.notifications.store.scorecard.queries import all_staff
from shared.clock import FixedClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent, Event, topic_for
from shared.migrations import migrate
from shared.replicas import staff_replica
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.bench import summary

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
EVENTS = 2_000
MANAGERS = 50
CLIENTS = 2_000
ROUNDS = 3


def _events(count: int) -> list[tuple[Event, datetime]]:
    rng = random.Random(7)
    managers = [uuid.uuid4() for _ in range(MANAGERS)]
    clients = [(uuid.uuid4(), rng.choice(managers)) for _ in range(200)]
    out: list[tuple[Event, datetime]] = []
    for n in range(count):
        client_id, manager = clients[n % len(clients)]
        at = NOW - timedelta(minutes=count - n)
        team = {
            "client_id": client_id,
            "client_name": "C",
            "account_manager_id": manager,
            "head_id": None,
        }
        kind = n % 3
        if kind == 0:
            out.append(
                (
                    InvoiceIssuedV1(
                        **team,
                        invoice_id=uuid.uuid4(),
                        number="I",
                        contract_id=None,
                        currency="EUR",
                        subtotal="100.00",
                        tax="0",
                        total="100.00",
                        amount_paid="0",
                        balance="100.00",
                        issue_date=at.date(),
                        due_date=at.date() + timedelta(days=14),
                        status="issued",
                    ),
                    at,
                )
            )
        elif kind == 1:
            out.append(
                (
                    RequestOpenedV1(
                        **team,
                        account_manager_department=None,
                        request_id=uuid.uuid4(),
                        interaction_id=uuid.uuid4(),
                        interaction_type="email",
                        subject=None,
                        contact_ids=[],
                        status="open",
                        opened_at=at,
                        due_at=at + timedelta(hours=1),
                        first_response_minutes=60,
                        breached=False,
                        answered_at=None,
                        acknowledged_at=None,
                        promised_by=None,
                        resolved_at=None,
                        on_hold_minutes=0,
                        at_risk_at=at + timedelta(minutes=45),
                    ),
                    at,
                )
            )
        else:
            out.append(
                (
                    FeedbackReceivedV1(
                        **team,
                        account_manager_department=None,
                        feedback_id=uuid.uuid4(),
                        kind="nps",
                        score=rng.randint(0, 10),
                        comment=None,
                        contact_id=None,
                        low=False,
                        received_at=at,
                        recorded_by=manager,
                    ),
                    at,
                )
            )
    return out


async def _noop(uow: UnitOfWork, event: CloudEvent) -> None:
    return None


async def projection_vs_raw(make_url: Callable[[], Awaitable[str]]) -> list[str]:
    events = [
        Message(topic_for(e.service()), e.key(), e.to_cloudevent(time=at).to_json())
        for e, at in _events(EVENTS)
    ]
    results = {}
    for label, handlers in (
        (
            "raw consumer: inbox + commit, no-op handler (baseline)",
            dict.fromkeys(SCORECARD_SUBSCRIBERS, _noop),
        ),
        ("scorecard projection", SCORECARD_SUBSCRIBERS),
    ):
        url = await make_url()
        await migrate(NOTIFICATIONS.migrations, url)
        engine = create_engine(url)
        consumer = EventConsumer(
            "notifications", UnitOfWorkFactory(session_factory(engine), FixedClock(NOW)), handlers
        )
        started = time.perf_counter()
        for message in events:
            await consumer.process(message)
        results[label] = time.perf_counter() - started
        await engine.dispose()
    base = results["raw consumer: inbox + commit, no-op handler (baseline)"]
    summary.at_least(
        "scorecard projection vs the raw consumer (inbox + commit)",
        EVENTS / results["scorecard projection"],
        EVENTS / base,
        "events/s",
        None,
    )
    return [
        f"| {label} | {EVENTS:,} | {seconds:.2f} | {EVENTS / seconds:,.0f} | "
        f"{base / seconds:.2f}x |"
        for label, seconds in results.items()
    ]


def _year_of_rows() -> dict[Any, list[dict[str, Any]]]:
    rng = random.Random(11)
    managers = [uuid.uuid4() for _ in range(MANAGERS)]
    staff = [
        {
            "id": manager,
            "name": f"Manager {n:02d}",
            "email": f"m{n}@orbit.example",
            "role": "manager",
            "department": f"Dept {n % 5}",
            "head_id": None,
            "timezone": "UTC",
            "active": True,
            "source_time": NOW,
        }
        for n, manager in enumerate(managers)
    ]
    rows: dict[Any, list[dict[str, Any]]] = {t: [] for t in m.PROJECTION_TABLES}
    rows[staff_replica] = staff  # the service's staff replica (no locale: English)
    start = NOW - timedelta(days=400)

    def when() -> datetime:
        return start + timedelta(minutes=rng.randrange(400 * 24 * 60))

    for n in range(CLIENTS):
        client_id, manager = uuid.uuid4(), managers[n % MANAGERS]
        created = when()
        rows[m.sc_client_states].append(
            {
                "event_id": uuid.uuid4(),
                "client_id": client_id,
                "name": f"Client {n}",
                "at": created,
                "created_at": created,
                "status": "active",
                "old_status": None,
                "account_manager_id": manager,
            }
        )
        if n % 20 == 0:
            rows[m.sc_client_states].append(
                {
                    "event_id": uuid.uuid4(),
                    "client_id": client_id,
                    "name": f"Client {n}",
                    "at": created + timedelta(days=30),
                    "created_at": created,
                    "status": "churned",
                    "old_status": "active",
                    "account_manager_id": manager,
                }
            )
        currency = "EUR" if n % 4 else "USD"
        for _ in range(12):
            issued = when()
            invoice_id = uuid.uuid4()
            total = Decimal(rng.randrange(10_000, 500_000)) / 100
            paid = rng.random() < 0.8
            rows[m.sc_invoices].append(
                {
                    "invoice_id": invoice_id,
                    "client_id": client_id,
                    "client_name": f"Client {n}",
                    "account_manager_id": manager,
                    "currency": currency,
                    "total": total,
                    "balance": Decimal(0) if paid else total,
                    "issue_date": issued.date(),
                    "due_date": issued.date() + timedelta(days=14),
                    "status": "paid" if paid else "issued",
                    "source_time": issued,
                }
            )
            if paid:
                payment_id, received = uuid.uuid4(), issued + timedelta(days=rng.randrange(1, 30))
                rows[m.sc_payments].append(
                    {
                        "payment_id": payment_id,
                        "client_id": client_id,
                        "account_manager_id": manager,
                        "currency": currency,
                        "amount": total,
                        "received_at": received,
                    }
                )
                rows[m.sc_allocations].append(
                    {
                        "payment_id": payment_id,
                        "invoice_id": invoice_id,
                        "amount": total,
                        "received_at": received,
                    }
                )
        for _ in range(26):
            opened = when()
            minutes = rng.randrange(1, 120)
            rows[m.sc_requests].append(
                {
                    "request_id": uuid.uuid4(),
                    "client_id": client_id,
                    "account_manager_id": manager,
                    "opened_at": opened,
                    "due_at": opened + timedelta(hours=1),
                    "answered_at": opened + timedelta(minutes=minutes),
                    "response_minutes": minutes,
                    "breached": minutes > 60,
                }
            )
        for _ in range(4):
            rows[m.sc_feedback].append(
                {
                    "feedback_id": uuid.uuid4(),
                    "client_id": client_id,
                    "account_manager_id": manager,
                    "kind": rng.choice(("nps", "csat")),
                    "score": rng.randint(1, 5),
                    "received_at": when(),
                }
            )
        for _ in range(6):
            rows[m.sc_meetings].append(
                {
                    "interaction_id": uuid.uuid4(),
                    "client_id": client_id,
                    "account_manager_id": manager,
                    "occurred_at": when(),
                    "report_on_time": rng.random() < 0.9,
                    "report_overdue": False,
                }
            )
        opportunity = uuid.uuid4()
        for stage in ("lead", "proposal"):
            rows[m.sc_opportunity_states].append(
                {
                    "event_id": uuid.uuid4(),
                    "opportunity_id": opportunity,
                    "client_id": client_id,
                    "account_manager_id": manager,
                    "at": when(),
                    "stage": stage,
                    "amount": Decimal(10_000),
                    "currency": currency,
                }
            )
        rows[m.sc_cadence_lapses].append(
            {"client_id": client_id, "due_at": when(), "account_manager_id": manager}
        )
    return rows


RAW = [
    "SELECT account_manager_id, currency, sum(total) FROM sc_invoices "
    "WHERE issue_date >= :d0 AND issue_date < :d1 AND status <> 'void' GROUP BY 1, 2",
    "SELECT account_manager_id, currency, sum(amount) FROM sc_payments "
    "WHERE received_at >= :t0 AND received_at < :t1 GROUP BY 1, 2",
    "SELECT account_manager_id, count(*), sum(CASE WHEN breached THEN 1 ELSE 0 END) "
    "FROM sc_requests WHERE opened_at >= :t0 AND opened_at < :t1 GROUP BY 1",
    "SELECT account_manager_id, kind, count(*) FROM sc_feedback "
    "WHERE received_at >= :t0 AND received_at < :t1 GROUP BY 1, 2",
    "SELECT account_manager_id, count(*) FROM sc_meetings "
    "WHERE occurred_at >= :t0 AND occurred_at < :t1 GROUP BY 1",
]


async def scorecard_vs_raw(url: str) -> list[str]:
    await migrate(NOTIFICATIONS.migrations, url)
    engine = create_engine(url)
    uows = UnitOfWorkFactory(session_factory(engine), FixedClock(NOW))
    rows = _year_of_rows()
    async with uows() as uow:
        for table, values in rows.items():
            for at in range(0, len(values), 5000):
                await uow.session.execute(insert(table), values[at : at + 5000])
        await uow.commit()
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    facts = sum(len(v) for t, v in rows.items() if t is not staff_replica)

    async def raw() -> float:
        started = time.perf_counter()
        async with uows() as uow:
            for d0, d1 in (
                (date(2026, 11, 1), date(2026, 12, 1)),
                (date(2026, 10, 1), date(2026, 11, 1)),
                (date(2025, 11, 1), date(2025, 12, 1)),
            ):
                t0 = datetime.combine(d0, datetime.min.time(), UTC)
                t1 = datetime.combine(d1, datetime.min.time(), UTC)
                for sql in RAW:
                    (
                        await uow.session.execute(
                            text(sql), {"d0": d0, "d1": d1, "t0": t0, "t1": t1}
                        )
                    ).all()
        return time.perf_counter() - started

    async def card() -> float:
        started = time.perf_counter()
        async with uows() as uow:
            members = await all_staff(uow.session)
            result = await scorecard_for(
                uow.session, Audience(members, None, "UTC"), "month", date(2026, 11, 15)
            )
        assert len(members) == MANAGERS and result.rows
        return time.perf_counter() - started

    raw_times = [await raw() for _ in range(ROUNDS)]
    card_times = [await card() for _ in range(ROUNDS)]
    await engine.dispose()
    base, mine = statistics.median(raw_times), statistics.median(card_times)
    summary.record(
        "scorecard query, a year of facts, admin",
        f"{mine:.3f} s",
        f"{base:.3f} s (raw SQL aggregates)",
        f"{mine / base:.1f}x the time",
    )
    return [
        f"| raw SQL aggregates of the same rows, 3 periods (baseline) | {facts:,} | "
        f"{base:.3f} | 1x |",
        f"| scorecard, admin, month + previous + year earlier + 8-month SLA trend | {facts:,} | "
        f"{mine:.3f} | {mine / base:.1f}x |",
    ]


async def scorecard_report(make_url: Callable[[], Awaitable[str]], setup: str) -> str:
    projection = await projection_vs_raw(make_url)
    query = await scorecard_vs_raw(await make_url())
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    return "\n".join(
        [
            f"## Scorecard: projection throughput and the scorecard query — {stamp} UTC ({setup})",
            "",
            f"{EVENTS:,} events (invoices issued, requests opened, feedback) through the "
            "notifications consumer, one transaction each, against the raw consumer on the same "
            "events.",
            "",
            "| consumer | events | seconds | events/s | vs baseline |",
            "|---|---|---|---|---|",
            *projection,
            "",
            f"A year of facts for {MANAGERS} managers and {CLIENTS:,} clients; median of "
            f"{ROUNDS} runs.",
            "",
            "| query | fact rows | seconds | vs raw |",
            "|---|---|---|---|",
            *query,
            "",
        ]
    )


def main() -> None:
    import os
    import tempfile

    from tests.bench.__main__ import ROOT, create_database, drop_databases

    pg = os.environ.get("ORBIT_TEST_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp())
    counter = iter(range(100))

    async def make_url() -> str:
        if pg:
            return await create_database(pg, "bench_scorecard")
        return f"sqlite+aiosqlite:///{workdir / f'scorecard{next(counter)}.db'}"

    try:
        report = asyncio.run(scorecard_report(make_url, "PostgreSQL" if pg else "SQLite"))
    finally:
        asyncio.run(drop_databases())
    print(report, flush=True)
    with (ROOT / "docs" / "benchmarks.md").open("a") as f:
        f.write(report + "\n")


if __name__ == "__main__":
    main()
