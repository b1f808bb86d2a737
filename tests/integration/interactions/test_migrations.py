"""Migration c7eeb37b94cf: requests opened before it get their interaction's type, subject
and contact ids copied (on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Boolean, Integer, String, Uuid, column, insert, select, table

from services.interactions.app import SPEC
from services.interactions.store.models import Request
from shared.db import JSONType, UTCDateTime, create_engine
from shared.migrations import migrate

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


async def test_requests_get_their_interactions_fields(any_db_url: str) -> None:
    await migrate(SPEC.migrations, any_db_url, "c4e2a9d17b35")
    interaction, client, contact = uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4())
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    engine = create_engine(any_db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(interactions).values(
                    id=interaction,
                    client_id=client,
                    type="call",
                    direction="inbound",
                    occurred_at=at,
                    subject="Broken login",
                    contact_ids=[contact],
                    requires_response=True,
                    missed=True,
                    author_id=uuid.uuid4(),
                    created_at=at,
                    report_overdue_notified=False,
                )
            )
            await conn.execute(
                insert(requests).values(
                    id=uuid.uuid4(),
                    client_id=client,
                    interaction_id=interaction,
                    status="open",
                    opened_at=at,
                    due_at=at,
                    at_risk_at=at,
                    updated_at=at,
                    first_response_minutes=60,
                    calendar={},
                    breached=False,
                    at_risk_notified=False,
                    promise_broken=False,
                    on_hold_minutes=0,
                )
            )
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
