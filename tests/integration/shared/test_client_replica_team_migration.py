"""The client_replica_team migration of every service with the replicas (interactions,
billing, notifications): clients replicated before it get their account manager's
department and responsible head from ``staff_replica`` (on SQLite and PostgreSQL), as the
clients service's ``responsible_head`` defines it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Boolean, String, Uuid, column, insert, select, table

from services.billing.app import SPEC as BILLING
from services.clients.domain.team import responsible_head
from services.interactions.app import SPEC as INTERACTIONS
from services.notifications.app import SPEC as NOTIFICATIONS
from shared.db import JSONType, UTCDateTime, create_engine
from shared.migrations import migrate
from shared.replicas import client_replica
from shared.runtime import ServiceSpec

pytestmark = pytest.mark.integration

# The replica tables as they were before the migration.
staff = table(
    "staff_replica",
    *(column(n, Uuid()) for n in ("id", "head_id")),
    *(column(n, String()) for n in ("name", "email", "role", "department", "timezone")),
    column("active", Boolean()),
    column("source_time", UTCDateTime()),
)
clients = table(
    "client_replica",
    *(column(n, Uuid()) for n in ("id", "account_manager_id")),
    *(column(n, String()) for n in ("name", "tier", "status", "timezone", "country")),
    *(column(n, JSONType) for n in ("sla", "contacts")),
    column("source_time", UTCDateTime()),
)
BEFORE = {
    "interactions": "c8f2d1b5e3a2",
    "billing": "d9a3e2c6f4b3",
    "notifications": "b4e81c2f7a90",
}


@pytest.mark.parametrize("spec", [INTERACTIONS, BILLING, NOTIFICATIONS], ids=lambda s: s.name)
async def test_clients_get_their_managers_team(spec: ServiceSpec, any_db_url: str) -> None:
    await migrate(spec.migrations, any_db_url, BEFORE[spec.name])
    now = datetime.now(UTC)
    head, manager, loner, ghost = (uuid.uuid4() for _ in range(4))
    people = [  # id, role, department, head
        (head, "head", "north", None),
        (manager, "manager", "north", head),
        (loner, "manager", None, None),
    ]
    # the client's manager (ghost: not replicated) -> the expected (department, head)
    expected: dict[uuid.UUID | None, tuple[str | None, uuid.UUID | None]] = {
        head: ("north", head),
        manager: ("north", head),
        loner: (None, None),
        ghost: (None, None),
        None: (None, None),
    }
    ids = {m: uuid.uuid4() for m in expected}
    engine = create_engine(any_db_url)
    try:
        async with engine.begin() as conn:
            for staff_id, role, department, head_id in people:
                await conn.execute(
                    insert(staff).values(**_staff(staff_id, role, department, head_id, now))
                )
            for manager_id, client_id in ids.items():
                await conn.execute(insert(clients).values(**_client(client_id, manager_id, now)))
        await migrate(spec.migrations, any_db_url)
        async with engine.connect() as conn:
            rows = {
                r.id: (r.account_manager_department, r.head_id)
                for r in await conn.execute(select(client_replica))
            }
    finally:
        await engine.dispose()
    assert {m: rows[c] for m, c in ids.items()} == expected
    roles = {p[0]: p for p in people}
    for m in (head, manager, loner):  # the same rule as the clients events'
        assert expected[m][1] == responsible_head(m, roles[m][1], roles[m][3])


def _staff(
    staff_id: uuid.UUID, role: str, department: str | None, head_id: uuid.UUID | None, now: datetime
) -> dict[str, Any]:
    return {
        "id": staff_id,
        "head_id": head_id,
        "name": role,
        "email": f"{staff_id.hex[:8]}@orbit.example",
        "role": role,
        "department": department,
        "timezone": "UTC",
        "active": True,
        "source_time": now,
    }


def _client(client_id: uuid.UUID, manager_id: uuid.UUID | None, now: datetime) -> dict[str, Any]:
    return {
        "id": client_id,
        "account_manager_id": manager_id,
        "name": "Client",
        "tier": "standard",
        "status": "active",
        "timezone": "UTC",
        "country": None,
        "sla": {},
        "contacts": [],
        "source_time": now,
    }
