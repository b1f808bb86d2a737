"""``make bench``: every benchmark, one report appended to docs/benchmarks.md.

- HTTP: ``orbit serve clients`` on PostgreSQL + Kafka against the bare FastAPI + asyncpg
  baseline (tests/bench/bare_app.py), wrk at 16 connections, three rounds; ``orbit serve
  interactions`` (with ``orbit serve clients`` feeding its replica, on a Kafka broker of their
  own) against the bare app's one-row ``POST /api/v1/interactions``, three rounds; and the
  embedded ``orbit run`` (SQLite, in-process bus).
- Relay: against raw aiokafka with the same payloads and settings; on SQLite, batched
  against one row per round.
- Billing: issuing invoices concurrently against creating drafts; the payment-control scan
  against a raw indexed select (tests/bench/billing.py).
- Scorecard: the KPI projection's throughput against the raw consumer; the scorecard over a
  year of data against raw SQL aggregates (tests/bench/scorecard.py).
- ``python -m tests.bench.scans`` (also run by ``make bench``): the interactions SLA scans.

The PostgreSQL + Kafka parts need ORBIT_TEST_DATABASE_URL and ORBIT_TEST_KAFKA_BOOTSTRAP
(``make bench`` starts deploy/local for them). BENCH_SECONDS sets each wrk run's length;
BENCH_SECTIONS (comma-separated: http, interactions, embedded, relay, billing, scorecard;
default all)
picks some.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.bench import http
from tests.bench.billing import billing_report
from tests.bench.relay import relay_after_churn, relay_vs_raw, sqlite_rows
from tests.bench.scorecard import scorecard_report

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 3
RELAY_EVENTS = 20_000
RELAY_BATCH = 200
GOALS = {
    "POST /api/v1/clients": 0.5,
    "GET /api/v1/clients/{id}": 0.6,
    http.INBOUND: 0.5,
    http.OUTBOUND: 0.5,
}


async def create_database(admin_url: str, prefix: str) -> str:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(
        admin.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin.set(database=name).render_as_string(hide_password=False)


COMPARED_HEADER = [
    "| round | operation | Orbit req/s | p50 ms | p99 ms | CPU ms/req | bare req/s | "
    "p50 ms | p99 ms | CPU ms/req | ratio | p99 ratio |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def compared(
    n: int, op: str, mine: http.Result, base: http.Result, ratios: dict[str, list[float]]
) -> str:
    """One row of a table against the bare app; the throughput ratio is kept in ``ratios``."""
    ratio = mine.requests_per_second / base.requests_per_second
    ratios.setdefault(op, []).append(ratio)
    return (
        f"| {n} | `{op}` | {mine.requests_per_second:,.0f} | {mine.p50_ms:.1f} | "
        f"{mine.p99_ms:.1f} | {mine.cpu_ms_per_request:.2f} | "
        f"{base.requests_per_second:,.0f} | {base.p50_ms:.1f} | {base.p99_ms:.1f} | "
        f"{base.cpu_ms_per_request:.2f} | **{ratio:.2f}x** | "
        f"{mine.p99_ms / base.p99_ms:.1f}x |"
    )


def summarised(ratios: dict[str, list[float]]) -> list[str]:
    return [
        f"- `{op}`: median ratio {statistics.median(r):.2f}x over {len(r)} rounds"
        + (f" (goal {GOALS[op]}x)" if op in GOALS else "")
        for op, r in ratios.items()
    ]


def http_section(pg: str, kafka: str, seconds: int, workdir: Path) -> list[str]:
    rows = []
    ratios: dict[str, list[float]] = {}
    for n in range(1, ROUNDS + 1):
        orbit_db = asyncio.run(create_database(pg, "bench_orbit"))
        bare_db = asyncio.run(create_database(pg, "bench_bare"))
        orbit = http.orbit_production(orbit_db, kafka, seconds, workdir)
        bare = http.bare(bare_db, seconds, workdir)
        for op, mine in orbit.items():
            base = bare[op]
            rows.append(compared(n, op, mine, base, ratios))
        print("\n".join(rows[-3:]), flush=True)
    summary = summarised(ratios)
    return [
        "### HTTP, production mode (PostgreSQL + Kafka), wrk -t1 -c16",
        "",
        f"Each round: a fresh database each, `orbit serve clients` then the bare app, "
        f"{seconds} s per operation, one process measured at a time. CPU = the server "
        "process's user + system time per request.",
        "",
        *COMPARED_HEADER,
        *rows,
        "",
        *summary,
        "",
    ]


def interactions_section(pg: str, seconds: int, workdir: Path) -> list[str]:
    rows = []
    ratios: dict[str, list[float]] = {}
    with http.dedicated_kafka("bench-interactions") as kafka:
        for n in range(1, ROUNDS + 1):
            clients_db = asyncio.run(create_database(pg, "bench_clients"))
            interactions_db = asyncio.run(create_database(pg, "bench_interactions"))
            bare_db = asyncio.run(create_database(pg, "bench_bare"))
            orbit = http.orbit_interactions(clients_db, interactions_db, kafka, seconds, workdir)
            base = http.bare_interactions(bare_db, seconds, workdir)
            for op, mine in orbit.items():
                rows.append(compared(n, op, mine, base, ratios))
            print("\n".join(rows[-2:]), flush=True)
    summary = summarised(ratios)
    return [
        "### HTTP, interactions in production mode (PostgreSQL + Kafka), wrk -t1 -c16",
        "",
        f"Each round: fresh databases, `orbit serve interactions` with `orbit serve clients` "
        f"beside it (idle while measured) on a Kafka broker of their own; a manager and "
        f"{http.INTERACTION_CLIENTS} clients created through the clients API and waited for in "
        "the interactions replica; each POST picks one of the clients at random. Inbound: "
        "`requires_response` (the client row locked, the interaction, its request, two outbox "
        "events); outbound: an email (the interaction, the contact cadence, one event). The "
        "baseline: the bare app inserting one row of the same fields into a table of its own "
        f"(the inbound bodies). {seconds} s per operation, one process measured at a time. "
        "CPU = the server process's user + system time per request.",
        "",
        *COMPARED_HEADER,
        *rows,
        "",
        *summary,
        "",
    ]


def embedded_section(seconds: int, workdir: Path) -> list[str]:
    result, idle, after, drained = http.embedded(seconds, workdir)
    line = (
        f"| `POST /api/v1/clients` | {result.requests_per_second:,.0f} | "
        f"{result.p50_ms:.1f} | {result.p99_ms:.1f} | {result.cpu_ms_per_request:.2f} | "
        f"{drained:.2f} | {idle:.0f} / {after:.0f} |"
    )
    print(line, flush=True)
    return [
        "### Embedded `orbit run` (SQLite, in-process bus, all four services), wrk -t1 -c16",
        "",
        "CPU ms/req: of the process during the run; with drain: until it went quiet after "
        "it (the consumers' work the run left behind).",
        "",
        "| operation | req/s | p50 ms | p99 ms | CPU ms/req | with drain | RSS MB idle / after |",
        "|---|---|---|---|---|---|---|",
        line,
        "",
    ]


def churn_section(pg_url) -> list[str]:  # type: ignore[no-untyped-def]
    """The relay on PostgreSQL after months of traffic, and after the retention job."""
    return [
        f"Relay after churn (PostgreSQL, in-process bus: the database side): {RELAY_EVENTS:,} "
        f"events drained, batch {RELAY_BATCH}.",
        "",
        "| outbox | events | seconds | events/s |",
        "|---|---|---|---|",
        *asyncio.run(relay_after_churn(pg_url, RELAY_EVENTS, RELAY_BATCH)),
        "",
    ]


def main() -> None:
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    workdir = Path(tempfile.mkdtemp(prefix="orbit-bench-"))
    pg = os.environ.get("ORBIT_TEST_DATABASE_URL")
    kafka = os.environ.get("ORBIT_TEST_KAFKA_BOOTSTRAP")
    wanted = set(
        os.environ.get("BENCH_SECTIONS", "http,interactions,embedded,relay,billing,scorecard")
        .replace(" ", "")
        .split(",")
    )
    sections: list[str] = []
    if pg and kafka and "http" in wanted:
        sections += http_section(pg, kafka, seconds, workdir)
    if pg and "interactions" in wanted:
        sections += interactions_section(pg, seconds, workdir)
    if "embedded" in wanted:
        sections += embedded_section(seconds, workdir)
    if "relay" in wanted:
        sections += relay_section(pg, kafka, workdir)
    if "billing" in wanted:
        sections += [billing_section(pg, workdir)]
    if "scorecard" in wanted:
        sections += [scorecard_section(pg, workdir)]
    report = "\n".join(
        [
            f"## Benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}.",
            "",
            *sections,
        ]
    )
    out = ROOT / "docs" / "benchmarks.md"
    if not out.exists():
        out.write_text("# Benchmarks\n\nWritten by `make bench`; newest last.\n\n")
    with out.open("a") as f:
        f.write(report + "\n")
    print(f"appended to {out}")


def billing_section(pg: str | None, workdir: Path) -> str:
    counter = iter(range(100))

    async def billing_url() -> str:
        if pg:
            return await create_database(pg, "bench_billing")
        return f"sqlite+aiosqlite:///{workdir / f'billing{next(counter)}.db'}"

    report = asyncio.run(billing_report(billing_url, "PostgreSQL" if pg else "SQLite"))
    print(report, flush=True)
    return report.replace("## Billing", "### Billing", 1)


def scorecard_section(pg: str | None, workdir: Path) -> str:
    counter = iter(range(100))

    async def scorecard_url() -> str:
        if pg:
            return await create_database(pg, "bench_scorecard")
        return f"sqlite+aiosqlite:///{workdir / f'scorecard{next(counter)}.db'}"

    report = asyncio.run(scorecard_report(scorecard_url, "PostgreSQL" if pg else "SQLite"))
    print(report, flush=True)
    return report.replace("## Scorecard", "### Scorecard", 1)


def relay_section(pg: str | None, kafka: str | None, workdir: Path) -> list[str]:
    relay = [
        "### Outbox relay",
        "",
        "| setup | batch size | events | seconds | events/s | vs baseline |",
        "|---|---|---|---|---|---|",
        *asyncio.run(sqlite_rows(workdir)),
        "",
    ]
    if pg and kafka:

        async def pg_url() -> str:
            return await create_database(pg, "bench_relay")

        relay += [
            f"PostgreSQL + Kafka: {RELAY_EVENTS:,} committed events; the relay against raw "
            "aiokafka publishing the same payloads with the same producer settings "
            "(idempotent, acks=all, linger 5 ms).",
            "",
            "| publisher | events | seconds | events/s | relay ÷ this |",
            "|---|---|---|---|---|",
            *asyncio.run(relay_vs_raw(pg_url, kafka, RELAY_EVENTS, RELAY_BATCH)),
            "",
            *churn_section(pg_url),
        ]
    print("\n".join(relay), flush=True)
    return relay


if __name__ == "__main__":
    main()
