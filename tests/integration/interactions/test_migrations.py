"""Migrations that fill columns of rows written before them (on SQLite and PostgreSQL):
c7eeb37b94cf (requests get their interaction's type, subject and contact ids), a8c1e3f5b7d9
(interactions and requests get their client's account manager from the replica; with
billing's b2d4f6a8c0e1, the invoices, and d4f6b8c0e2a5, the feedback, their downgrades leave the
tables as they were)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Boolean, Integer, String, Uuid, column, insert, inspect, select, table

from services.billing.app import SPEC as BILLING
from services.interactions.app import SPEC
from services.interactions.store.models import Interaction, Request
from services.notifications.app import SPEC as NOTIFICATIONS
from shared.db import JSONType, UTCDateTime, create_engine
from shared.migrations import alembic_config, migrate
from shared.replica_store import client_replica
from tests.support.migrations import on_migration_connection

pytestmark = pytest.mark.integration

# the two tables as they were at revision c4e2a9d17b35 (the columns these rows need)
interactions = table(
    "interactions",
    column("id", Uuid()),
    column("client_id", Uuid()),
    column("type", String()),
    column("direction", String()),
    column("occurred_at", UTCDateTime()),
    column("subject", String()),
    column("contact_ids", JSONType),
    column("requires_response", Boolean()),
    column("missed", Boolean()),
    column("author_id", Uuid()),
    column("created_at", UTCDateTime()),
    column("report_overdue_notified", Boolean()),
)
requests = table(
    "requests",
    column("id", Uuid()),
    column("client_id", Uuid()),
    column("interaction_id", Uuid()),
    column("status", String()),
    *(column(n, UTCDateTime()) for n in ("opened_at", "due_at", "at_risk_at", "updated_at")),
    column("first_response_minutes", Integer()),
    column("calendar", JSONType),
    *(column(n, Boolean()) for n in ("breached", "at_risk_notified", "promise_broken")),
    column("on_hold_minutes", Integer()),
)


async def _logged(
    conn: Any,
    client: uuid.UUID,
    at: datetime,
    requests_table: Any = requests,
    *,
    interaction: dict[str, Any] | None = None,
    request: dict[str, Any] | None = None,
) -> None:
    """An inbound email (else ``interaction``'s values) and its open request, as written at
    an earlier revision (``requests_table``: the requests as they were then)."""
    interaction_id = uuid.uuid4()
    await conn.execute(
        insert(interactions).values(
            {
                "id": interaction_id,
                "client_id": client,
                "type": "email",
                "direction": "inbound",
                "occurred_at": at,
                "contact_ids": [],
                "requires_response": True,
                "missed": False,
                "author_id": uuid.uuid4(),
                "created_at": at,
                "report_overdue_notified": False,
                **(interaction or {}),
            }
        )
    )
    await conn.execute(
        insert(requests_table).values(
            id=uuid.uuid4(),
            client_id=client,
            interaction_id=interaction_id,
            status="open",
            **{n: at for n in ("opened_at", "due_at", "at_risk_at", "updated_at")},
            first_response_minutes=60,
            calendar={},
            breached=False,
            at_risk_notified=False,
            promise_broken=False,
            on_hold_minutes=0,
            **(request or {}),
        )
    )


async def test_requests_get_their_interactions_fields(any_db_url: str) -> None:
    await migrate(SPEC.migrations, any_db_url, "c4e2a9d17b35")
    client, contact = uuid.uuid4(), str(uuid.uuid4())
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    engine = create_engine(any_db_url)
    try:
        async with engine.begin() as conn:
            call = {"type": "call", "subject": "Broken login", "contact_ids": [contact]}
            await _logged(conn, client, at, interaction={**call, "missed": True})
        await migrate(SPEC.migrations, any_db_url)
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(Request.interaction_type, Request.subject, Request.contact_ids)
                )
            ).one()
    finally:
        await engine.dispose()
    assert tuple(row) == ("call", "Broken login", [contact])


# requests as they were at revision c5d7e9f1a3b6 (the columns these rows need)
requests_c5d7 = table(
    "requests",
    *(column(c.name, c.type) for c in requests.columns),
    column("interaction_type", String()),
    column("contact_ids", JSONType),
)


async def test_interactions_and_requests_get_their_clients_manager(any_db_url: str) -> None:
    await migrate(SPEC.migrations, any_db_url, "c5d7e9f1a3b6")
    manager, managed, unmanaged = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    engine = create_engine(any_db_url)
    try:
        async with engine.begin() as conn:
            for client, who in ((managed, manager), (unmanaged, None)):
                await conn.execute(
                    insert(client_replica).values(
                        id=client,
                        name="Client",
                        tier="standard",
                        status="active",
                        account_manager_id=who,
                        timezone="UTC",
                        sla={},
                        contacts=[],
                        source_time=at,
                    )
                )
            # two of the managed client's, one of the unmanaged's, one of a client unknown
            for client in (managed, managed, unmanaged, uuid.uuid4()):
                then = {"interaction_type": "email", "contact_ids": []}
                await _logged(conn, client, at, requests_c5d7, request=then)
        await migrate(SPEC.migrations, any_db_url)
        async with engine.connect() as conn:
            copies = [
                sorted(
                    (r.client_id == managed, r.account_manager_id)
                    for r in await conn.execute(select(model.client_id, model.account_manager_id))
                )
                for model in (Interaction, Request)
            ]
    finally:
        await engine.dispose()
    expected = [(False, None), (False, None), (True, manager), (True, manager)]
    assert copies == [expected, expected]


@pytest.mark.parametrize(
    ("spec", "before", "table"),
    [
        (SPEC, "c5d7e9f1a3b6", "interactions"),
        (SPEC, "c5d7e9f1a3b6", "requests"),
        (SPEC, "a8c1e3f5b7d9", "feedback"),
        (BILLING, "5be0c7a3d9f1", "invoices"),
        (NOTIFICATIONS, "f4c9a1e6b3d8", "search_documents"),
    ],
)
async def test_the_manager_copies_downgrade_to_the_table_as_it_was(
    any_db_url: str, spec: Any, before: str, table: str
) -> None:
    """Down from the copies, a table has the columns and the indexes it had before them (on
    SQLite too: a batch copy of the table would drop its indexes on expressions)."""

    def shape(conn: Any) -> tuple[list[str], list[str]]:
        inspector = inspect(conn)
        columns = [c["name"] for c in inspector.get_columns(table)]
        if conn.dialect.name == "sqlite":  # the expressions' indexes too (not reflected)
            found = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
            )
            return columns, sorted(n for (n,) in found if n)
        return columns, sorted(i["name"] for i in inspector.get_indexes(table))

    async def run(work: Any) -> Any:
        return await on_migration_connection(any_db_url, work)

    def downgrade(conn: Any) -> None:
        config = alembic_config(spec.migrations, any_db_url)
        config.attributes["connection"] = conn
        command.downgrade(config, before)

    await migrate(spec.migrations, any_db_url, before)
    then = await run(shape)
    await migrate(spec.migrations, any_db_url)
    assert "account_manager_id" in (await run(shape))[0]
    await run(downgrade)
    assert await run(shape) == then
