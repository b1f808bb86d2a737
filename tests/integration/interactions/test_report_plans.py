"""The reports over a department read it through indexes on PostgreSQL, not whole tables
(migrations ``c5d7e9f1a3b6``, ``e7a9c1d3f5b8``): the statement a report runs is taken as it
ran and explained on a company's worth of rows (3,000 clients of 100 managers in 10
departments, a cadence each, 10,000 requests):

- the contact-cadence report reads the scope's clients from ``client_replica``'s index by
  account manager alone (it carries their name and status), and looks each one up in
  ``contact_cadence`` by its primary key (a ``LATERAL`` lookup), where a plain join is planned
  as a hash join of the whole table;
- the SLA report's counts come from the index of the managers' requests (their copy of the
  client's account manager), explained with sequential and bitmap scans disabled;
- a head's list reads their team once per statement, not once per row it walks."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import event, text

from services.interactions.store import interactions, reports
from shared.auth import Caller, Role
from shared.pagination import paginate_sorted
from shared.runtime import ServiceRuntime
from tests.integration.interactions.helpers import NOW, api_of

pytestmark = pytest.mark.integration

CLIENTS, MANAGERS, DEPARTMENTS, REQUESTS = 3000, 100, 10, 10_000


def _uuid(block: str, n: str) -> str:
    return f"('00000000-0000-4000-{block}-' || lpad(({n})::text, 12, '0'))::uuid"


AT = "CAST(:at AS timestamptz)"  # the clock's now
MANAGER_OF = f"1 + g % {MANAGERS}"  # client g's manager m, of department 1 + m % 10
SEED = [
    # the heads (8000-…1..10) and the managers (9000-…1..100)
    f"""INSERT INTO staff_replica (id, name, email, role, department, head_id, timezone, active,
        source_time)
    SELECT {_uuid("8000", "g")}, 'Head ' || g, 'h' || g || '@x.example', 'head', 'dept' || g,
        NULL, 'UTC', true, {AT} FROM generate_series(1, {DEPARTMENTS}) g
    UNION ALL
    SELECT {_uuid("9000", "g")}, 'Manager ' || g, 'm' || g || '@x.example', 'manager',
        'dept' || (1 + g % {DEPARTMENTS}), {_uuid("8000", f"1 + g % {DEPARTMENTS}")}, 'UTC',
        true, {AT} FROM generate_series(1, {MANAGERS}) g""",
    f"""INSERT INTO client_replica (id, name, tier, status, account_manager_id,
        account_manager_department, head_id, timezone, sla, contacts, source_time)
    SELECT {_uuid("a000", "g")}, 'Client ' || g, 'standard', 'active',
        {_uuid("9000", MANAGER_OF)}, 'dept' || (1 + ({MANAGER_OF}) % {DEPARTMENTS}),
        {_uuid("8000", f"1 + ({MANAGER_OF}) % {DEPARTMENTS}")}, 'UTC', '{{}}', '[]', {AT}
    FROM generate_series(1, {CLIENTS}) g""",
    f"""INSERT INTO contact_cadence (client_id, last_contact_at, since, cadence_days, due_at)
    SELECT {_uuid("a000", "g")}, {AT} - (g % 45) * interval '1 day', {AT} - interval '1 year',
        30, {AT} + (30 - g % 45) * interval '1 day'
    FROM generate_series(1, {CLIENTS}) g""",
    f"""INSERT INTO interactions (id, client_id, type, direction, occurred_at, subject, summary,
        contact_ids, requires_response, missed, author_id, created_at, report_overdue_notified)
    SELECT {_uuid("b000", "g")}, {_uuid("a000", f"1 + g % {CLIENTS}")}, 'email', 'inbound',
        {AT} - g * interval '1 hour', 'Subject', 'Summary', '[]', true, false,
        {_uuid("9000", f"1 + (1 + g % {CLIENTS}) % {MANAGERS}")},
        {AT} - g * interval '1 hour', false
    FROM generate_series(1, {REQUESTS}) g""",
    f"""INSERT INTO requests (id, client_id, interaction_id, status, opened_at, due_at,
        at_risk_at, first_response_minutes, calendar, breached, at_risk_notified, answered_at,
        response_minutes, promise_broken, on_hold_minutes, updated_at, interaction_type,
        subject, contact_ids, account_manager_id)
    SELECT gen_random_uuid(), {_uuid("a000", f"1 + g % {CLIENTS}")}, {_uuid("b000", "g")},
        CASE WHEN g % 10 = 0 THEN 'open' ELSE 'answered' END, {AT} - g * interval '1 hour',
        {AT} - g * interval '1 hour' + interval '4 hours',
        {AT} - g * interval '1 hour' + interval '3 hours', 240, '{{}}', g % 17 = 0, false,
        CASE WHEN g % 10 = 0 THEN NULL ELSE {AT} - g * interval '1 hour' + interval '1 hour'
        END, CASE WHEN g % 10 = 0 THEN NULL ELSE 60 + g % 300 END, false, 0, {AT}, 'email',
        'Subject', '[]', {_uuid("9000", f"1 + (1 + g % {CLIENTS}) % {MANAGERS}")}
    FROM generate_series(1, {REQUESTS}) g""",
]
TABLES = ("staff_replica", "client_replica", "contact_cadence", "interactions", "requests")
CALLERS = {
    "manager": Caller(uuid.UUID("00000000-0000-4000-9000-000000000007"), Role.MANAGER),
    "head": Caller(uuid.UUID("00000000-0000-4000-8000-000000000008"), Role.HEAD, "dept8"),
}


@pytest.fixture
async def runtime(pg_url: str) -> AsyncIterator[ServiceRuntime]:
    async with api_of(pg_url) as api:
        runtime = api.runtime
        async with runtime.sessions() as session:
            for statement in SEED:
                await session.execute(text(statement), {"at": NOW})
            await session.commit()
        engine = runtime.sessions.kw["bind"]
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in TABLES:  # the statistics and the visibility map of a settled table
                await conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
        yield runtime


async def _statement(
    runtime: ServiceRuntime, marker: str, run: Callable[[Any], Awaitable[Any]]
) -> tuple[str, Any, Any]:
    """The first ``SELECT`` with ``marker`` that ``run`` (given a session) ran, its
    parameters, and what ``run`` returned."""
    ran: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if marker in statement and statement.lstrip().upper().startswith("SELECT"):
            ran.append((statement, parameters))

    engine = runtime.sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        async with runtime.sessions() as session:
            result = await run(session)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    statement, parameters = ran[0]
    return statement, parameters, result


async def _plan(runtime: ServiceRuntime, statement: str, parameters: Any, *off: str) -> str:
    async with runtime.sessions() as session:
        conn = await session.connection()
        for setting in off:
            await conn.exec_driver_sql(f"SET LOCAL enable_{setting} = off")
        rows = await conn.exec_driver_sql("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize(("kind", "clients"), [("manager", 30), ("head", 300)])
async def test_the_contact_cadence_report_looks_each_client_of_the_scope_up(
    runtime: ServiceRuntime, kind: str, clients: int
) -> None:
    statement, parameters, rows = await _statement(
        runtime,
        "contact_cadence",
        lambda session: reports.contact_cadence_report(
            session, CALLERS[kind], NOW, account_manager_id=None, overdue_only=False
        ),
    )
    assert len(rows) == clients
    plan = await _plan(runtime, statement, parameters)
    assert "Seq Scan on contact_cadence" not in plan, plan
    assert "Index Scan using contact_cadence_pkey on contact_cadence" in plan, plan
    # the scope's clients with their name and status from the index by account manager (a
    # small replica like this one is cheaper read whole, so the plan is the one without)
    plan = await _plan(runtime, statement, parameters, "seqscan", "bitmapscan")
    assert "Index Only Scan using ix_client_replica_manager_client" in plan, plan


@pytest.mark.parametrize("kind", ["manager", "head"])
async def test_the_sla_report_counts_from_the_index_of_the_requests(
    runtime: ServiceRuntime, kind: str
) -> None:
    statement, parameters, report = await _statement(
        runtime,
        "answered_on_time",
        lambda session: reports.sla_report(
            session, CALLERS[kind], NOW, account_manager_id=None, since=None, until=None
        ),
    )
    assert report["requests"] == REQUESTS // (MANAGERS if kind == "manager" else DEPARTMENTS)
    plan = await _plan(runtime, statement, parameters, "seqscan", "bitmapscan")
    # through an index of the managers' requests (by their copy of the client's manager), not
    # joined to the clients; of a department's requests (the benchmark's EXPLAIN check) the
    # index of a manager's by opening alone, which carries what is counted
    assert re.search(r"Index (Only )?Scan using ix_requests_manager_\w+ on requests", plan), plan
    assert "client_replica" not in plan, plan


async def test_a_heads_list_reads_their_team_once_not_per_row(runtime: ServiceRuntime) -> None:
    """A head's page of interactions walks the index in the list's order and keeps the rows
    of their team's clients: the team (a few dozen managers) is read once, before the walk
    (an ``InitPlan``), not again for each row walked (a semi join: 20x slower at scale)."""
    head = CALLERS["head"]
    statement, parameters, (items, _) = await _statement(
        runtime,
        "interactions",
        lambda session: paginate_sorted(
            session,
            interactions.filtered_interactions(head),
            interactions.SORTS,
            None,
            limit=50,
            cursor=None,
        ),
    )
    async with runtime.sessions() as session:
        expected = (
            (
                await session.execute(
                    text(
                        "SELECT i.id FROM interactions i "
                        "JOIN client_replica c ON c.id = i.client_id "
                        "JOIN staff_replica s ON s.id = c.account_manager_id "
                        "WHERE s.department = 'dept8' OR s.head_id = :head OR s.id = :head "
                        "ORDER BY i.occurred_at DESC, i.id DESC LIMIT 50"
                    ),
                    {"head": head.id},
                )
            )
            .scalars()
            .all()
        )
    assert [item.id for item in items] == list(expected) and len(expected) == 50
    plan = await _plan(runtime, statement, parameters)
    assert "InitPlan" in plan and "Semi Join" not in plan, plan
    walked, team = (
        plan.index("Index Scan Backward using ix_interactions_occurred"),
        plan.index("InitPlan"),
    )
    assert team < walked, plan
