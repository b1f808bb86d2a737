"""Department-scale data (run by ``make bench`` as the section ``scale``, or alone:
``python -m tests.bench.scale``; needs ORBIT_TEST_DATABASE_URL, and starts a Kafka broker of its
own with deploy/local/kafka.sh).

A large department's data, generated in PostgreSQL itself (``INSERT … SELECT`` over
``generate_series``, one statement per table, then ``VACUUM ANALYZE``) into the four services'
migrated databases: 300 staff in 10 departments, 30,000 clients, 100,000 contacts,
2,000,000 interactions, 200,000 requests, 100,000 tasks, 50,000 feedback scores, 30,000
contracts, 300,000 invoices, 150,000 payments, 1,000,000 notifications and 600,000 timeline
entries with 60,000 open things (``BENCH_SCALE`` multiplies every count but the staff; default
1; ``BENCH_SCALE_ONLY`` keeps the endpoints whose path contains one of its comma-separated parts).

Then, against the four ``orbit serve`` services, every list and report a UI calls, as a
manager (about 100 clients) and as the head of their department (about 3,000), with each
service in one process and then in two (``BENCH_SCALE_WORKERS``, default ``1,2``: ``orbit
serve --workers``):

- **EXPLAIN**: one call of each endpoint with ``auto_explain`` logging the plan of every
  statement the service runs (``ALTER DATABASE … SET session_preload_libraries``), read back
  from the server's log: a ``Seq Scan`` on one of the big tables is a whole-table read.
- **Raw query**: what one call of each endpoint sends to PostgreSQL, caught from SQLAlchemy
  on the service's app in this process (:func:`orbit_statements`): each statement with its
  arguments, as asyncpg got them; the raw call runs them in turn on one connection.
- **Load**: once the services have gone quiet (their first scans emit the generated data's
  backlog of alerts), each endpoint under ``wrk`` at 16 connections for
  ``BENCH_SCALE_WRK_SECONDS`` (8; p50/p99 as wrk measures them), against its raw query with
  asyncpg on 16 connections in the same run, as long.
- **Floor**: that raw query served over HTTP by a bare FastAPI app
  (``tests/bench/bare_scale.py``: uvicorn, an asyncpg pool, the rows as JSON, nothing else) in
  as many processes, under the same wrk: what any Python HTTP service pays here per call, and
  so how much of the distance to the raw query is Orbit's.

Goals (issue 21 §5): every list and the timeline p99 under 100 ms, every report under 1 s,
each within 3x its raw query; no list or report reads a whole table.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from shared.auth import issue_token
from tests.bench import summary
from tests.bench.caught import Statement, caught_calls, raw_pool, run_statements
from tests.bench.http import (
    ORBIT,
    ROOT,
    SECRET,
    UVICORN,
    Result,
    free_port,
    migrated_env,
    server,
    settled_cpu,
    wrk,
)
from tests.bench.notifications import percentile

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
DEPARTMENTS, MANAGERS = 10, 289  # + 10 heads + 1 admin = 300 staff


def _n(count: int) -> int:
    return max(1, int(count * SCALE))


CLIENTS, CONTACTS = _n(30_000), _n(100_000)
INTERACTIONS, REQUESTS_, TASKS, FEEDBACK = _n(2_000_000), _n(200_000), _n(100_000), _n(50_000)
CONTRACTS, INVOICES, PAYMENTS = _n(30_000), _n(300_000), _n(150_000)
NOTIFICATIONS, TIMELINE = _n(1_000_000), _n(600_000)
CONNECTIONS = 16
# Orbit's side: wrk for this many seconds per endpoint and caller (after WARM_SECONDS); the
# raw query's as long, on as many connections: a p99 of thousands of calls, not of the few
# hundred a fixed count gave (whose p99 was its 4th slowest call: one hiccup of the client
# or the server there and a row met its goal by the raw query's slowness).
ORBIT_SECONDS = int(os.environ.get("BENCH_SCALE_WRK_SECONDS", "8"))
WARM_SECONDS = 2
LIST_GOAL_MS, REPORT_GOAL_MS, RATIO_GOAL = 100.0, 1000.0, 3.0
# The load runs once per number of worker processes of each service (``orbit serve --workers``):
# one process uses one core at most, this machine has two.
WORKERS = [int(n) for n in os.environ.get("BENCH_SCALE_WORKERS", "1,2").split(",") if n]

# The callers: manager 7 (department 8) and the head of department 8.
MANAGER = "00000000-0000-4000-9000-000000000007"
HEAD = "00000000-0000-4000-8000-000000000008"
CALLERS = {"manager": (MANAGER, "manager", "dept8"), "head": (HEAD, "head", "dept8")}
ONE_CLIENT = "00000000-0000-4000-a000-000000000006"  # a client of manager 7 (6 % 289 == 6 - 0)


def _id(block: str, expr: str) -> str:
    return f"('00000000-0000-4000-{block}-' || lpad(({expr})::text, 12, '0'))::uuid"


def _client(expr: str) -> str:
    return _id("a000", expr)


def _manager_of(client: str) -> str:
    return f"(1 + ({client}) % {MANAGERS})"


def _dept_of(manager: str) -> str:
    return f"(1 + ({manager}) % {DEPARTMENTS})"


STAFF_SQL = f"""
SELECT {_id("8000", "g")} AS id, 'Head ' || g AS name, 'head' || g || '@bench.example' AS email,
    'head' AS role, 'dept' || g AS department, NULL::uuid AS head_id
FROM generate_series(1, {DEPARTMENTS}) g
UNION ALL
SELECT {_id("9000", "g")}, 'Manager ' || g, 'm' || g || '@bench.example', 'manager',
    'dept' || {_dept_of("g")}, {_id("8000", _dept_of("g"))}
FROM generate_series(1, {MANAGERS}) g
UNION ALL
SELECT '{uuid.UUID(int=1)}'::uuid, 'Admin', 'admin@bench.example', 'admin', NULL, NULL
"""
NAMES = "Северный Южный Альянс Ромашка Вектор Орион Acme Globex Initech Umbrella Stark Wayne"
CLIENT_SQL = f"""
SELECT {_client("g")} AS id,
    (ARRAY[{",".join(f"'{w}'" for w in NAMES.split())}])[1 + g % 12] || ' ' || g AS name,
    (ARRAY['key','standard','small'])[1 + g % 3] AS tier,
    {_id("9000", _manager_of("g"))} AS account_manager_id,
    'dept' || {_dept_of(_manager_of("g"))} AS department,
    {_id("8000", _dept_of(_manager_of("g")))} AS head_id,
    now() - (g % 1000) * interval '1 day' AS created_at
FROM generate_series(1, {CLIENTS}) g
"""
SLA = '{"first_response_minutes": 240, "contact_cadence_days": 30}'


def _replicas() -> list[str]:
    """The staff and client replicas of interactions, billing and notifications."""
    return [
        f"""INSERT INTO staff_replica (id, name, email, role, department, head_id, timezone,
            active, source_time)
        SELECT id, name, email, role, department, head_id, 'UTC', true, now()
        FROM ({STAFF_SQL}) s""",
        f"""INSERT INTO client_replica (id, name, tier, status, account_manager_id,
            account_manager_department, head_id, timezone, sla, contacts, source_time)
        SELECT id, name, tier, 'active', account_manager_id, department, head_id, 'UTC',
            '{SLA}', '[]', now() FROM ({CLIENT_SQL}) c""",
    ]


def clients_sql() -> list[str]:
    return [
        f"""INSERT INTO staff (id, name, email, role, department, head_id, timezone, active,
            created_at, updated_at)
        SELECT id, name, email, role, department, head_id, 'UTC', true, now(), now()
        FROM ({STAFF_SQL}) s""",
        f"""INSERT INTO clients (id, name, name_lower, kind, tier, status, account_manager_id,
            tags, timezone, sla_overrides, created_at, updated_at)
        SELECT id, name, lower(name), 'b2b', tier, 'active', account_manager_id, '[]', 'UTC',
            '{{}}', created_at, created_at FROM ({CLIENT_SQL}) c""",
        f"""INSERT INTO contacts (id, client_id, name, email, phone, roles, created_at,
            updated_at)
        SELECT gen_random_uuid(), {_client(f"1 + g % {CLIENTS}")}, 'Contact ' || g,
            'c' || g || '@bench.example', '+7912' || lpad(g::text, 7, '0'), '[]',
            now() - (g % 900) * interval '1 day', now()
        FROM generate_series(1, {CONTACTS}) g""",
    ]


def interactions_sql(calendar: str) -> list[str]:
    return [
        *_replicas(),
        f"""INSERT INTO interactions (id, client_id, type, direction, occurred_at, subject,
            summary, contact_ids, requires_response, missed, author_id, created_at,
            report_overdue_notified, account_manager_id)
        SELECT {_id("b000", "g")}, {_client(f"1 + g % {CLIENTS}")},
            (ARRAY['call','email','meeting','message','note'])[1 + g % 5],
            (ARRAY['inbound','outbound'])[1 + g % 2], now() - g * interval '13 seconds',
            'Subject ' || g, 'Summary of interaction ' || g, '[]', false, false,
            {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))}, now() - g * interval '13 seconds',
            false, {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))}
        FROM generate_series(1, {INTERACTIONS}) g""",
        f"""INSERT INTO requests (id, client_id, interaction_id, status, opened_at, due_at,
            at_risk_at, first_response_minutes, calendar, breached, at_risk_notified,
            answered_at, response_minutes, promise_broken, on_hold_minutes, updated_at,
            interaction_type, subject, contact_ids, account_manager_id)
        SELECT gen_random_uuid(), {_client(f"1 + g % {CLIENTS}")}, {_id("b000", "g")},
            CASE WHEN g % 10 = 0 THEN 'open' ELSE 'answered' END,
            now() - g * interval '130 seconds', now() - g * interval '130 seconds'
                + interval '4 hours', now() - g * interval '130 seconds' + interval '3 hours',
            240, '{calendar}', g % 17 = 0, false,
            CASE WHEN g % 10 = 0 THEN NULL ELSE now() - g * interval '130 seconds'
                + interval '1 hour' END,
            CASE WHEN g % 10 = 0 THEN NULL ELSE 60 + g % 300 END, false, 0, now(), 'email',
            'Subject ' || g, '[]', {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))}
        FROM generate_series(1, {REQUESTS_}) g""",
        f"""INSERT INTO tasks (id, client_id, title, due_at, assignee_id, status, created_by,
            created_at, updated_at, overdue_notified, due_soon_notified)
        SELECT gen_random_uuid(), {_client(f"1 + g % {CLIENTS}")}, 'Task ' || g,
            now() + (g % 60 - 30) * interval '1 day',
            {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))},
            CASE WHEN g % 3 = 0 THEN 'done' ELSE 'open' END,
            {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))}, now() - g * interval '1 minute',
            now(), false, false
        FROM generate_series(1, {TASKS}) g""",
        f"""INSERT INTO feedback (id, client_id, kind, score, low, received_at, recorded_by,
            account_manager_id)
        SELECT gen_random_uuid(), {_client(f"1 + g % {CLIENTS}")},
            CASE WHEN g % 2 = 0 THEN 'nps' ELSE 'csat' END,
            CASE WHEN g % 2 = 0 THEN g % 11 ELSE 1 + g % 5 END,
            CASE WHEN g % 2 = 0 THEN g % 11 <= 6 ELSE 1 + g % 5 <= 2 END,
            now() - g * interval '7 minutes', {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))},
            {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))}
        FROM generate_series(1, {FEEDBACK}) g""",
        f"""INSERT INTO contact_cadence (client_id, last_contact_at, since, cadence_days, due_at)
        SELECT {_client("g")}, now() - (g % 45) * interval '1 day', now() - interval '1 year',
            30, now() - (g % 45) * interval '1 day' + interval '30 days'
        FROM generate_series(1, {CLIENTS}) g""",
    ]


def billing_sql() -> list[str]:
    client = _client(f"1 + g % {CLIENTS}")
    return [
        *_replicas(),
        f"""INSERT INTO contracts (id, client_id, number, title, starts_on, ends_on, auto_renew,
            renewal_notice_days, payment_terms_days, status, renewals, created_at, updated_at)
        SELECT gen_random_uuid(), {client}, 'C-' || g, 'Contract ' || g,
            current_date - (g % 700), current_date - (g % 700) + 365, g % 2 = 0, 30, 14,
            CASE WHEN g % 700 > 365 THEN 'expired' ELSE 'active' END, 0,
            now() - (g % 700) * interval '1 day', now()
        FROM generate_series(1, {CONTRACTS}) g""",
        f"""INSERT INTO invoices (id, client_id, number, currency, lines, subtotal, tax, total,
            amount_paid, status, issue_date, due_date, overdue_sent, created_at, updated_at,
            account_manager_id)
        SELECT gen_random_uuid(), {client}, 'INV-' || lpad(g::text, 7, '0'),
            (ARRAY['EUR','USD','RUB'])[1 + g % 3], '[]', 1000 + g % 5000, 0, 1000 + g % 5000,
            CASE WHEN g % 4 = 0 THEN 0 ELSE 1000 + g % 5000 END,
            CASE WHEN g % 4 = 0 THEN (ARRAY['issued','overdue'])[1 + g % 2] ELSE 'paid' END,
            current_date - (g % 730), current_date - (g % 730) + 14, false,
            now() - (g % 730) * interval '1 day', now(),
            {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))}
        FROM generate_series(1, {INVOICES}) g""",
        # what paid them (as an import records it): amount_paid is the sum of the allocations
        """INSERT INTO allocations (id, invoice_id, payment_id, amount, source, position,
            created_at)
        SELECT gen_random_uuid(), id, NULL, amount_paid, 'import', 0, created_at
        FROM invoices WHERE amount_paid > 0""",
        f"""INSERT INTO payments (id, client_id, amount, currency, received_at, method,
            reference, credit, booked_by, created_at)
        SELECT gen_random_uuid(), {client}, 1000 + g % 5000, (ARRAY['EUR','USD','RUB'])[1 + g % 3],
            now() - (g % 730) * interval '1 day', 'bank_transfer', 'P-' || g, 0,
            {_id("9000", _manager_of(f"1 + g % {CLIENTS}"))}, now() - (g % 730) * interval '1 day'
        FROM generate_series(1, {PAYMENTS}) g""",
    ]


def notifications_sql() -> list[str]:
    return [
        *_replicas(),
        f"""INSERT INTO notifications (id, recipient_id, type, severity, title, body, client_id,
            event_id, created_at, read_at, level, seq)
        SELECT gen_random_uuid(), {_id("9000", f"1 + g % {MANAGERS}")},
            'orbit.interactions.sla.breached.v1',
            (ARRAY['info','warning','critical'])[1 + g % 3], 'Alert ' || g, 'Body ' || g,
            {_client(f"1 + g % {CLIENTS}")}, gen_random_uuid(), now() - g * interval '20 seconds',
            CASE WHEN g % 5 = 0 THEN NULL ELSE now() END, 0, g
        FROM generate_series(1, {NOTIFICATIONS}) g""",
        f"""INSERT INTO timeline_entries (key, client_id, type, entity_id, at, title, details,
            event_id, source_time)
        SELECT gen_random_uuid(), {_client(f"1 + g % {CLIENTS}")},
            (ARRAY['interaction','request','invoice','payment','task','feedback'])[1 + g % 6],
            gen_random_uuid(), now() - g * interval '40 seconds', 'Entry ' || g, '{{}}',
            gen_random_uuid(), now()
        FROM generate_series(1, {TIMELINE}) g""",
        f"""INSERT INTO timeline_items (key, kind, entity_id, client_id, status, title, at,
            sequence, source_time)
        SELECT gen_random_uuid(), (ARRAY['request','task','invoice','contract'])[1 + g % 4],
            gen_random_uuid(), {_client(f"1 + g % {CLIENTS}")}, 'open', 'Item ' || g,
            now() + (g % 90 - 30) * interval '1 day', 0, now()
        FROM generate_series(1, {TIMELINE // 10}) g""",
    ]


@dataclass(frozen=True)
class Endpoint:
    service: str
    path: str
    report: bool = False

    @property
    def goal_ms(self) -> float:
        return REPORT_GOAL_MS if self.report else LIST_GOAL_MS


# How long the services took to go quiet once started, per start (explain, load1, load2…):
# their first scheduled scans (SLA breaches, cadences, invoices due…) over a freshly generated
# department emit its backlog of alerts (the EXPLAIN phase's start: the later starts find it
# done), a one-off the calls wait for (at most SETTLE_SECONDS).
SETTLE_SECONDS = 600  # the EXPLAIN phase's start took 284 s on 2026-12-07
SETTLED: dict[str, float] = {}
ENDPOINTS = [
    Endpoint("clients", "/api/v1/clients"),
    Endpoint("clients", f"/api/v1/clients/{ONE_CLIENT}/contacts"),
    Endpoint("clients", "/api/v1/reports/portfolio", report=True),
    Endpoint("interactions", "/api/v1/interactions"),
    Endpoint("interactions", "/api/v1/requests"),
    Endpoint("interactions", "/api/v1/tasks"),
    Endpoint("interactions", "/api/v1/feedback"),
    Endpoint("interactions", "/api/v1/reports/sla", report=True),
    Endpoint("interactions", "/api/v1/reports/contact-cadence", report=True),
    Endpoint("interactions", "/api/v1/reports/feedback", report=True),
    Endpoint("interactions", "/api/v1/reports/activity", report=True),
    Endpoint("billing", "/api/v1/invoices"),
    Endpoint("billing", "/api/v1/invoices?sort=-due_date"),
    Endpoint("billing", "/api/v1/payments"),
    Endpoint("billing", "/api/v1/contracts"),
    Endpoint("billing", "/api/v1/reports/aging", report=True),
    Endpoint("billing", "/api/v1/reports/revenue", report=True),
    Endpoint("billing", "/api/v1/reports/payment-discipline", report=True),
    Endpoint("notifications", "/api/v1/notifications"),
    Endpoint("notifications", "/api/v1/notifications/count?unread=true"),
    Endpoint("notifications", f"/api/v1/clients/{ONE_CLIENT}/summary"),
    Endpoint("notifications", f"/api/v1/clients/{ONE_CLIENT}/timeline"),
]
# ``BENCH_SCALE_ONLY=reports/aging,reports/sla``: only the endpoints whose path contains one of
# these (a quicker run while working on some of them); every endpoint by default.
_ONLY = [part for part in os.environ.get("BENCH_SCALE_ONLY", "").split(",") if part]
if _ONLY:
    ENDPOINTS = [e for e in ENDPOINTS if any(part in e.path for part in _ONLY)]


Statements = dict[tuple[str, str], list[Statement]]


async def orbit_statements(env: dict[str, str]) -> Statements:
    """The raw query of each endpoint as each caller (``tests.bench.caught``): every statement,
    with its arguments, that one call of it sends to PostgreSQL."""
    out: Statements = {}
    for service in dict.fromkeys(e.service for e in ENDPOINTS):
        calls = {
            (e.path, kind): (e.path, _headers(kind))
            for e in ENDPOINTS
            if e.service == service
            for kind in CALLERS
        }
        out.update(await caught_calls(env, service, calls))
    return out


async def _load(call: Callable[[], Awaitable[None]], seconds: float) -> list[float]:
    """``call`` on each of ``CONNECTIONS`` connections in turn for ``seconds`` (each at
    least once): every call's latency in ms."""
    samples: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while True:
            started = time.perf_counter()
            await call()
            ended = time.perf_counter()
            samples.append((ended - started) * 1000)
            if ended >= deadline:
                return

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return samples


async def seed(dsns: dict[str, str]) -> float:
    import asyncpg

    from services.interactions.domain import sla

    started = time.perf_counter()
    calendar = sla.calendar_json(sla.calendar_of(None))
    plans = {
        "clients": clients_sql(),
        "interactions": interactions_sql(__import__("json").dumps(calendar)),
        "billing": billing_sql(),
        "notifications": notifications_sql(),
    }

    async def one(service: str) -> None:
        conn = await asyncpg.connect(dsns[service])
        try:
            for sql in plans[service]:
                await conn.execute(sql)
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()

    await asyncio.gather(*(one(s) for s in plans))
    return time.perf_counter() - started


async def raw_runs(
    dsns: dict[str, str], statements: Statements
) -> dict[tuple[str, str], list[float]]:
    pools = {
        s: await raw_pool(d, min_size=CONNECTIONS, max_size=CONNECTIONS) for s, d in dsns.items()
    }
    out: dict[tuple[str, str], list[float]] = {}
    try:
        for endpoint in ENDPOINTS:
            for kind in CALLERS:
                caught, pool = statements[(endpoint.path, kind)], pools[endpoint.service]

                async def call(caught: Any = caught, pool: Any = pool) -> None:
                    async with pool.acquire() as conn:
                        await run_statements(conn, caught)

                await _load(call, WARM_SECONDS)
                out[(endpoint.path, kind)] = await _load(call, ORBIT_SECONDS)
    finally:
        for pool in pools.values():
            await pool.close()
    return out


Runs = dict[tuple[str, str], Result]


def _percentiles(result: Result) -> tuple[float, float]:
    """p50 and p99 of a wrk run; infinite when not one call finished within it (slower than it
    lasted)."""
    if not result.requests:
        return float("inf"), float("inf")
    return result.p50_ms, result.p99_ms


def _token(kind: str) -> str:
    staff_id, role, _ = CALLERS[kind]
    return issue_token(SECRET, staff_id, role, ttl_seconds=7200)


def _headers(kind: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + _token(kind)}


Target = Callable[[Endpoint, str], tuple[str, str | None, int]]


def _runs(target: Target) -> Runs:
    """Each endpoint as each caller under ``wrk`` (C: the load generator's own cost stays off
    the Python the server runs on) at the URL, with the token and on the process ``target``
    gives: a warm-up, then ``ORBIT_SECONDS`` at 16 connections."""
    out: Runs = {}
    for endpoint in ENDPOINTS:
        for kind in CALLERS:
            url, token, pid = target(endpoint, kind)
            wrk(url, pid, seconds=WARM_SECONDS, token=token, timeout_seconds=120)
            out[(endpoint.path, kind)] = wrk(
                url, pid, seconds=ORBIT_SECONDS, token=token, timeout_seconds=120
            )
    return out


def orbit_runs(bases: dict[str, str], pids: dict[str, int]) -> Runs:
    """Every endpoint through Orbit's four services."""
    return _runs(
        lambda endpoint, kind: (
            bases[endpoint.service] + endpoint.path,
            _token(kind),
            pids[endpoint.service],
        )
    )


def bare_runs(dsns: dict[str, str], statements: Path, workdir: Path, workers: int) -> Runs:
    """The floor: each endpoint's raw query (``statements``: a pickle of what
    :func:`orbit_statements` caught) served by the bare FastAPI app
    (``tests/bench/bare_scale.py``) in ``workers`` processes, measured as Orbit's are."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BARE_SCALE_DSNS": json.dumps(dsns)}
    env["BARE_SCALE_STATEMENTS"] = str(statements)
    args = [UVICORN, "tests.bench.bare_scale:app", "--port", str(port), "--no-access-log"]
    args += ["--log-level", "warning", "--workers", str(workers)]
    with server(args, env, f"{base}/readyz", workdir / f"bare-scale-{workers}.log") as proc:
        if workers > 1:
            time.sleep(5)  # /readyz answered from one worker: the others' start-up
        return _runs(
            lambda endpoint, kind: (
                f"{base}/raw/{ENDPOINTS.index(endpoint)}/{kind}",
                None,
                proc.pid,
            )
        )


@contextmanager
def serving(
    env: dict[str, str], workdir: Path, tag: str, workers: int = 1
) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    """The four services, each ``orbit serve --workers workers``: their base URLs and pids."""
    bases: dict[str, str] = {}
    pids: dict[str, int] = {}
    with ExitStack() as stack:
        for service in ("clients", "interactions", "billing", "notifications"):
            port = free_port()
            bases[service] = f"http://127.0.0.1:{port}"
            pids[service] = stack.enter_context(
                server(
                    [ORBIT, "serve", service, "--port", str(port), "--workers", str(workers)],
                    env,
                    f"{bases[service]}/readyz",
                    workdir / f"orbit-scale-{tag}-{service}.log",
                )
            ).pid
        if workers > 1:
            time.sleep(5)  # /readyz answered from one worker: the others' start-up
        started = time.monotonic()
        for pid in pids.values():  # their first scans over the data generated (its backlog)
            settled_cpu(pid, idle_cpu_seconds=0.1 * workers, timeout=SETTLE_SECONDS)
        SETTLED[tag] = time.monotonic() - started
        yield bases, pids


async def _server_log() -> Path | None:
    """The PostgreSQL server's log file, when it is deploy/local's (``data/../server.log``)."""
    import asyncpg

    dsn = os.environ["ORBIT_TEST_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        data = await conn.fetchval("SHOW data_directory")
    finally:
        await conn.close()
    log = Path(data).parent / "server.log"
    return log if log.exists() else None


async def _auto_explain(dsns: dict[str, str], on: bool) -> None:
    import asyncpg

    for dsn in dsns.values():
        name = dsn.rsplit("/", 1)[1]
        conn = await asyncpg.connect(dsn)
        try:
            if on:
                await conn.execute(
                    f"ALTER DATABASE \"{name}\" SET session_preload_libraries = 'auto_explain'"
                )
                await conn.execute(f'ALTER DATABASE "{name}" SET auto_explain.log_min_duration = 0')
            else:
                await conn.execute(f'ALTER DATABASE "{name}" RESET ALL')
        finally:
            await conn.close()


def whole_table_reads(plans: str, big: set[str]) -> list[str]:
    """The ``big`` tables that a logged plan of a ``SELECT`` reads whole (``Seq Scan on``)."""
    found, select = set(), False
    for line in plans.splitlines():
        if "Query Text:" in line:
            select = line.split("Query Text:", 1)[1].lstrip().upper().startswith(("SELECT", "WITH"))
        elif select and "Seq Scan on " in line:
            table = line.split("Seq Scan on ", 1)[1].split()[0]
            if table in big:
                found.add(table)
    return sorted(found)


async def _big_tables(dsns: dict[str, str]) -> set[str]:
    """The tables of 10,000 rows or more (a sequential scan of a small one is the right plan)."""
    import asyncpg

    big: set[str] = set()
    for dsn in dsns.values():
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples >= 10000"
            )
        finally:
            await conn.close()
        big |= {r["relname"] for r in rows}
    return big


def explain_check(env: dict[str, str], dsns: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Each endpoint called once with every statement's plan logged; the whole-table reads."""
    log = asyncio.run(_server_log())
    if log is None:
        return {}
    big = asyncio.run(_big_tables(dsns))
    asyncio.run(_auto_explain(dsns, on=True))
    reads: dict[str, Any] = {}
    try:
        # the scheduled scans (their own statements, not an endpoint's) run once at start-up
        quiet = {**env, "ORBIT_SCHEDULER_INTERVAL_SECONDS": "86400"}
        with serving(quiet, workdir, "explain") as (bases, _), httpx.Client(timeout=600) as http:
            time.sleep(5)
            for endpoint in ENDPOINTS:
                found: set[str] = set()
                for kind in CALLERS:
                    offset = log.stat().st_size
                    url = bases[endpoint.service] + endpoint.path
                    response = http.get(url, headers=_headers(kind))
                    assert response.status_code == 200, (url, response.text[:300])
                    time.sleep(0.2)  # the server's log writer
                    with log.open("rb") as f:
                        f.seek(offset)
                        found |= set(whole_table_reads(f.read().decode(errors="replace"), big))
                reads[endpoint.path] = sorted(found)
    finally:
        asyncio.run(_auto_explain(dsns, on=False))
    return reads


def scale_report(make_url: Callable[[str], str], kafka: str, workdir: Path) -> list[str]:
    urls = {
        s: make_url(f"bench_scale_{s}")
        for s in ("clients", "interactions", "billing", "notifications")
    }
    dsns = {s: u.replace("postgresql+asyncpg://", "postgresql://") for s, u in urls.items()}
    env = migrated_env(kafka, urls)
    seconds = asyncio.run(seed(dsns))
    reads = explain_check(env, dsns, workdir)
    statements = asyncio.run(orbit_statements(env))
    caught = workdir / "statements.pickle"
    caught.write_bytes(pickle.dumps(statements))
    raw = asyncio.run(raw_runs(dsns, statements))
    mine, floor = {}, {}
    for workers in WORKERS:
        with serving(env, workdir, f"load{workers}", workers) as (bases, pids):
            mine[workers] = orbit_runs(bases, pids)
        floor[workers] = bare_runs(dsns, caught, workdir, workers)
    rows = []
    for endpoint, kind, workers in ((e, k, w) for e in ENDPOINTS for k in CALLERS for w in WORKERS):
        ours, theirs = mine[workers][(endpoint.path, kind)], raw[(endpoint.path, kind)]
        bare = floor[workers][(endpoint.path, kind)]
        p50, p99 = _percentiles(ours)
        b50, b99 = _percentiles(bare)
        r50, r99 = percentile(theirs, 0.5), percentile(theirs, 0.99)
        ratio = p99 / r99 if r99 else float("inf")
        whole = reads.get(endpoint.path)
        scans = "not checked" if whole is None else (", ".join(whole) or "none")
        met = p99 < endpoint.goal_ms and ratio <= RATIO_GOAL and not whole
        rows.append(
            f"| `{endpoint.path}` | {kind} | {workers} | {ours.requests} "
            f"| {p50:.1f} | {p99:.1f} | {ours.cpu_ms_per_request:.2f} "
            f"| {len(statements[(endpoint.path, kind)])} "
            f"| {len(theirs)} | {r50:.1f} | {r99:.1f} "
            f"| {b50:.1f} | {b99:.1f} | {bare.cpu_ms_per_request:.2f} "
            f"| {ratio:.1f}x | {b99 / r99 if r99 else float('inf'):.1f}x "
            f"| {p99 / b99 if b99 else float('inf'):.1f}x | {scans} "
            f"| {'met' if met else '**missed**'} |"
        )
        summary.record(
            f"`GET {endpoint.path}` at department scale, {kind}, {workers} worker(s), p99",
            f"{p99:.1f} ms",
            f"{r99:.1f} ms (raw query)",
            f"{ratio:.2f}x",
            f"< {endpoint.goal_ms:.0f} ms, ≤ {RATIO_GOAL:.0f}x",
            met,
        )
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    return [
        f"### Department-scale data (BENCH_SCALE={SCALE:g}) — {stamp} UTC",
        "",
        f"Generated in {seconds:.0f} s: 300 staff, {CLIENTS:,} clients, {CONTACTS:,} contacts, "
        f"{INTERACTIONS:,} interactions, {REQUESTS_:,} requests, {TASKS:,} tasks, "
        f"{FEEDBACK:,} feedback, {CONTRACTS:,} contracts, {INVOICES:,} invoices, "
        f"{PAYMENTS:,} payments, {NOTIFICATIONS:,} notifications, {TIMELINE:,} timeline "
        "entries. The four services each served by `orbit serve --workers N` (N processes) "
        f"on PostgreSQL, each endpoint and caller under `wrk -t1 -c{CONNECTIONS}` for "
        f"{ORBIT_SECONDS} s after a {WARM_SECONDS} s warm-up (calls: how many it made); the "
        "raw query, the statements one call of the endpoint sends to PostgreSQL (caught from "
        "SQLAlchemy in process, with their arguments; stmts: how many) run in turn with "
        "asyncpg, on as many connections, as long after as long a warm-up (raw calls: how "
        "many it made). "
        "Whole-table reads: the big tables "
        "in a `Seq Scan` of the plans `auto_explain` logged for one call of the endpoint. "
        f"Goals: lists p99 < {LIST_GOAL_MS:.0f} ms, reports < {REPORT_GOAL_MS:.0f} ms, "
        f"≤ {RATIO_GOAL:.0f}x the raw query, no whole-table read. The floor: the raw query "
        "served over HTTP by a bare FastAPI app (`tests/bench/bare_scale.py`: uvicorn, the "
        "statements on an asyncpg pool, their rows written as JSON, nothing else) in as many "
        "processes, under the same wrk; bare/raw is what any Python HTTP service pays here, "
        "Orbit/bare what Orbit adds (authentication, scope, pages, models); CPU ms/call: the "
        "CPU time of the server's processes per call (Orbit's, the bare app's) during the "
        "load. The services were "
        "started and left to go quiet before the load (their first scans over the generated "
        "data emit its backlog of alerts): "
        + ", ".join(f"{tag} {seconds:.0f} s" for tag, seconds in SETTLED.items())
        + f". Load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| endpoint | caller | workers | calls | Orbit p50 ms | p99 ms | CPU ms/call | stmts "
        "| raw calls | raw p50 ms | raw p99 ms | bare p50 ms | bare p99 ms | bare CPU ms/call "
        "| Orbit/raw p99 | bare/raw p99 | Orbit/bare p99 | whole-table reads | goal |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def main() -> None:
    import tempfile

    from tests.bench.__main__ import create_database, drop_databases
    from tests.bench.http import dedicated_kafka

    pg = os.environ["ORBIT_TEST_DATABASE_URL"]
    random.seed(5)
    try:
        with dedicated_kafka("bench-scale") as kafka:  # as in make bench: see scale_section
            report = scale_report(
                lambda prefix: asyncio.run(create_database(pg, prefix)),
                kafka,
                Path(tempfile.mkdtemp(prefix="orbit-scale-")),
            )
    finally:
        asyncio.run(drop_databases())
    print("\n".join(summary.table() + report), flush=True)
    out = Path(os.environ.get("BENCH_REPORT", ROOT / "docs" / "benchmarks.md"))
    with out.open("a") as f:
        f.write("\n".join(report) + "\n")


if __name__ == "__main__":
    main()
