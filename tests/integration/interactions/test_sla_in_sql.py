"""On PostgreSQL the SLA report's medians and p90s are computed by the database
(``percentile_cont``, ``percentile_disc`` over ``GROUPING SETS``, ``store/reports.py:
sla_groups``); elsewhere the database counts the requests per manager and number of minutes
and Python computes them (``domain/sla_report.Spread``). Both ways, on the same rows, give the
same figures: for an admin, a head and a manager, with and without a manager and a period,
on rows made to hit the edges (even and odd counts, ties, a p90 on a rank's boundary, missed
calls called back after a fraction of a minute, before they rang, or not yet, requests closed
as not real ones, a client with no account manager)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from services.interactions.store import reports
from shared.auth import Caller, Role
from tests.integration.interactions.helpers import NOW, api_of

pytestmark = pytest.mark.integration

HEAD = uuid.UUID("00000000-0000-4000-8000-000000000001")
MIA = uuid.UUID("00000000-0000-4000-9000-000000000001")
BOB = uuid.UUID("00000000-0000-4000-9000-000000000005")  # another department's
AT = "CAST(:at AS timestamptz)"
REQUESTS = 600


def _manager(client: str) -> str:
    """Client ``c``'s manager: 1-5 (1-4 the north's, 5 the south's), none for every sixth."""
    return (
        f"CASE WHEN ({client}) % 6 = 0 THEN NULL ELSE "
        f"('00000000-0000-4000-9000-' || lpad((({client}) % 6)::text, 12, '0'))::uuid END"
    )


CLIENT = "1 + g % 12"
OPENED = f"{AT} - g * interval '1 hour'"
SEED = [
    f"""INSERT INTO staff_replica (id, name, email, role, department, head_id, timezone, active,
        source_time)
    VALUES ('{HEAD}', 'Hana', 'hana@x.example', 'head', 'north', NULL, 'UTC', true, {AT})""",
    f"""INSERT INTO staff_replica (id, name, email, role, department, head_id, timezone, active,
        source_time)
    SELECT ('00000000-0000-4000-9000-' || lpad(m::text, 12, '0'))::uuid, 'Manager ' || m,
        'm' || m || '@x.example', 'manager', CASE WHEN m = 5 THEN 'south' ELSE 'north' END,
        CASE WHEN m = 5 THEN NULL ELSE '{HEAD}'::uuid END, 'UTC', true, {AT}
    FROM generate_series(1, 5) m""",
    f"""INSERT INTO client_replica (id, name, tier, status, account_manager_id,
        account_manager_department, head_id, timezone, sla, contacts, source_time)
    SELECT ('00000000-0000-4000-a000-' || lpad(c::text, 12, '0'))::uuid, 'Client ' || c,
        'standard', 'active', {_manager("c")}, NULL, NULL, 'UTC', '{{}}', '[]', {AT}
    FROM generate_series(1, 12) c""",
    f"""INSERT INTO interactions (id, client_id, type, direction, occurred_at, subject, summary,
        contact_ids, requires_response, missed, author_id, created_at, report_overdue_notified)
    SELECT ('00000000-0000-4000-b000-' || lpad(g::text, 12, '0'))::uuid,
        ('00000000-0000-4000-a000-' || lpad(({CLIENT})::text, 12, '0'))::uuid,
        CASE WHEN g % 3 = 0 THEN 'call' ELSE 'email' END, 'inbound', {OPENED}, 'Subject',
        'Summary', '[]', true, g % 2 = 0, '{MIA}', {OPENED}, false
    FROM generate_series(1, {REQUESTS}) g""",
    # answered after (g % 37) business minutes (ties), at g % 97 clock minutes and a fraction
    # (every 29th before it opened); every 10th open, every 7th closed as spam, every 11th
    # flagged breached; every 3rd a call, every 2nd of those missed
    f"""INSERT INTO requests (id, client_id, interaction_id, status, close_code, opened_at,
        due_at, at_risk_at, first_response_minutes, calendar, breached, at_risk_notified,
        answered_at, response_minutes, promise_broken, on_hold_minutes, updated_at,
        interaction_type, subject, contact_ids, account_manager_id)
    SELECT gen_random_uuid(),
        ('00000000-0000-4000-a000-' || lpad(({CLIENT})::text, 12, '0'))::uuid,
        ('00000000-0000-4000-b000-' || lpad(g::text, 12, '0'))::uuid,
        CASE WHEN g % 7 = 0 THEN 'closed' WHEN g % 10 = 0 THEN 'open' ELSE 'answered' END,
        CASE WHEN g % 7 = 0 THEN 'spam' END, {OPENED},
        {OPENED} + interval '30 minutes', {OPENED} + interval '20 minutes', 30, '{{}}',
        g % 11 = 0, false,
        CASE WHEN g % 10 = 0 THEN NULL
            WHEN g % 29 = 0 THEN {OPENED} - interval '1 minute'
            ELSE {OPENED} + (g % 97) * interval '1 minute' + (g % 60) * interval '1 second'
                + (g % 1000) * interval '1 microsecond' END,
        CASE WHEN g % 10 = 0 THEN NULL ELSE g % 37 END, false, 0, {AT},
        CASE WHEN g % 3 = 0 THEN 'call' ELSE 'email' END, 'Subject', '[]',
        {_manager(CLIENT)}
    FROM generate_series(1, {REQUESTS}) g""",
]
CALLERS = [
    Caller(uuid.uuid4(), Role.ADMIN),
    Caller(HEAD, Role.HEAD, "north"),
    Caller(MIA, Role.MANAGER),
]


async def test_the_database_computes_the_figures_python_computes(pg_url: str) -> None:
    async with api_of(pg_url) as api:
        async with api.runtime.sessions() as session:
            for statement in SEED:
                await session.execute(text(statement), {"at": NOW})
            await session.commit()
        # the last: request 174 alone, a missed call called back a minute before it rang
        periods = [
            (None, None),
            (NOW - timedelta(hours=400), NOW - timedelta(hours=37)),
            (NOW - timedelta(hours=174), NOW - timedelta(hours=173)),
        ]
        answers: dict[tuple[Role, uuid.UUID | None, datetime | None], reports.SlaGroups] = {}
        for caller in CALLERS:
            for manager in (None, MIA, BOB):
                for since, until in periods:
                    scope = {"account_manager_id": manager, "since": since, "until": until}
                    async with api.runtime.sessions() as session:
                        in_sql = await reports.sla_groups(
                            session, caller, NOW, **scope, in_sql=True
                        )
                        in_python = await reports.sla_groups(
                            session, caller, NOW, **scope, in_sql=False
                        )
                    assert in_sql == in_python, (caller.role, manager, since)
                    answers[caller.role, manager, since] = in_sql
    # groups of managers were compared, not only empty answers
    assert sum(len(groups) for groups, _ in answers.values()) > 20
    groups, everyone = answers[Role.ADMIN, None, None]
    _, alone = answers[Role.ADMIN, None, periods[2][0]]
    assert (alone.counts.missed_calls, alone.callbacks.median) == (1, 0)
    assert set(groups) == {
        None,
        *(uuid.UUID(f"00000000-0000-4000-9000-{m:012}") for m in range(1, 6)),
    }
    counts = everyone.counts
    # 600 requests, the 85 closed left out; 100 calls of those, every second one missed
    assert (counts.requests, counts.missed_calls) == (515, 86)
    assert everyone.first_response.median is not None and everyone.callbacks.p90 is not None
    # the figures of each manager differ (else a mix-up of groups could pass unseen)
    assert len({g.first_response for g in groups.values()}) > 1
