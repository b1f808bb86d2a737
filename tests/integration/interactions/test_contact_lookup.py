"""The lookups of a client by a contact's phone (a call) and e-mail address (a letter) go
through ``client_replica``'s indexes on PostgreSQL (migration ``a3e7c1d9b5f4``), not a read
of the whole replica: the statement ``shared.replicas.clients_with_contact`` runs is taken as
it ran and explained with sequential and whole-index scans disabled, which the planner only
obeys when an index fits the statement's expression."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event

from shared.replica_store import put_client
from shared.replicas import ContactField, clients_with_contact
from shared.runtime import ServiceRuntime
from tests.integration.interactions.helpers import NOW, api_of


@pytest.fixture
async def runtime(pg_url: str) -> AsyncIterator[ServiceRuntime]:
    async with api_of(pg_url) as api:
        yield api.runtime


def _client(n: int) -> dict[str, Any]:
    return {
        "client_id": f"00000000-0000-4000-a000-{n:012d}",
        "name": f"Client {n}",
        "tier": "standard",
        "status": "active",
        "account_manager_id": None,
        "timezone": "Europe/Berlin",
        "country": "DE",
        "contacts": [
            {
                "contact_id": f"00000000-0000-4000-b000-{n:012d}",
                "name": f"Contact {n}",
                "email": f"Person.{n}@Client{n}.example",
                "phone": f"+4930{n:07d}",
            }
        ],
    }


@pytest.mark.parametrize(
    ("field", "value", "index"),
    [
        ("phone", "+49300000042", "fts_client_replica_contact_phones"),
        ("email", "person.42@client42.example", "fts_client_replica_contact_text"),
    ],
)
async def test_a_contact_lookup_reads_an_index(
    runtime: ServiceRuntime, field: ContactField, value: str, index: str
) -> None:
    async with runtime.sessions() as session:
        for n in range(1, 301):
            await put_client(session, _client(n), NOW.isoformat())
        await session.commit()
    ran: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "client_replica" in statement and statement.lstrip().upper().startswith("SELECT"):
            ran.append((statement, parameters))

    engine = runtime.sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        async with runtime.sessions() as session:
            found = await clients_with_contact(session, field, value)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert [str(c.id) for c in found] == ["00000000-0000-4000-a000-000000000042"]
    statement, parameters = ran[-1]
    async with runtime.sessions() as session:
        conn = await session.connection()
        await conn.exec_driver_sql("ANALYZE client_replica")
        # neither the table read whole nor the primary key's index walked whole (the order)
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        await conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
        plan = "\n".join(
            row[0] for row in await conn.exec_driver_sql("EXPLAIN " + statement, parameters)
        )
    assert index in plan, plan
    assert "Seq Scan" not in plan, plan
