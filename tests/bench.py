"""Benchmarks (``make bench``): the outbox relay's throughput, batched vs one row at a time
(the baseline), measured in the same run; results appended to docs/benchmarks.md.

On SQLite with the in-process bus always; on PostgreSQL + Kafka too when
ORBIT_TEST_DATABASE_URL and ORBIT_TEST_KAFKA_BOOTSTRAP are set (e.g. after deploy/local/up.sh).
"""

from __future__ import annotations

import asyncio
import os
import platform
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Bus, InProcessBus
from shared.messaging.envelope import Event
from shared.messaging.outbox import OutboxRelay
from shared.migrations import migrate
from shared.uow import UnitOfWorkFactory
from tests.bench_billing import billing_report

EVENTS = 2000
ROOT = Path(__file__).resolve().parents[1]


class BenchTickV1(Event):
    TYPE: ClassVar[str] = "orbit.bench.tick.happened.v1"

    client_id: uuid.UUID
    n: int


async def fill(url: str, count: int) -> None:
    engine = create_engine(url)
    uow_factory = UnitOfWorkFactory(session_factory(engine), SystemClock())
    clients = [uuid.uuid4() for _ in range(20)]
    async with uow_factory() as uow:
        for n in range(count):
            await uow.emit(BenchTickV1(client_id=clients[n % 20], n=n))
        await uow.commit()
    await engine.dispose()


async def drain(url: str, bus: Bus, batch_size: int) -> float:
    engine = create_engine(url)
    relay = OutboxRelay("bench", session_factory(engine), bus, batch_size=batch_size)
    started = time.perf_counter()
    while await relay.run_once():
        pass
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


async def run_case(name: str, make_url, make_bus) -> list[str]:  # type: ignore[no-untyped-def]
    rows = []
    timings = {}
    for batch_size in (1, 200):
        url = await make_url()
        await migrate(CLIENTS.migrations, url)
        await fill(url, EVENTS)
        bus = make_bus()
        timings[batch_size] = await drain(url, bus, batch_size)
        await bus.stop()
    for batch_size, seconds in timings.items():
        rows.append(f"| {name} | {batch_size} | {EVENTS} | {seconds:.2f} | "
                    f"{EVENTS / seconds:,.0f} | {timings[1] / seconds:.1f}x |")
    return rows


async def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    counter = iter(range(100))

    async def sqlite_url() -> str:
        return f"sqlite+aiosqlite:///{tmp / f'bench{next(counter)}.db'}"

    rows = await run_case("SQLite + in-process bus", sqlite_url, InProcessBus)
    billing_url, billing_setup = sqlite_url, "SQLite"
    pg, kafka = os.environ.get("ORBIT_TEST_DATABASE_URL"), os.environ.get(
        "ORBIT_TEST_KAFKA_BOOTSTRAP")
    if pg and kafka:
        import asyncpg
        from sqlalchemy.engine import make_url

        from shared.messaging.kafka import KafkaBus

        admin = make_url(pg)

        async def pg_url() -> str:
            name = f"bench_{uuid.uuid4().hex[:8]}"
            conn = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(
                hide_password=False))
            await conn.execute(f'CREATE DATABASE "{name}"')
            await conn.close()
            return admin.set(database=name).render_as_string(hide_password=False)

        rows += await run_case("PostgreSQL + Kafka (acks=all)", pg_url, lambda: KafkaBus(kafka))
        billing_url, billing_setup = pg_url, "PostgreSQL"
    report = "\n".join([
        f"## Outbox relay throughput — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. {EVENTS} committed events drained by one relay; the "
        "baseline is the same relay publishing one row per transaction (batch size 1).",
        "",
        "| setup | batch size | events | seconds | events/s | vs baseline |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        await billing_report(billing_url, billing_setup),
    ])
    print(report)
    out = ROOT / "docs" / "benchmarks.md"
    if not out.exists():
        out.write_text("# Benchmarks\n\nWritten by `make bench`; newest last.\n\n")
    with out.open("a") as f:
        f.write(report + "\n")


if __name__ == "__main__":
    asyncio.run(main())
