"""Helpers of the billing integration tests: the billing app on a fresh PostgreSQL database
(the ``api`` fixture, shared through conftest.py), its replicas of the clients service's
staff and clients seeded as the clients events would leave them, its outbox."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.billing.app import create_app
from shared.clock import FixedClock
from shared.runtime import ServiceRuntime
from shared.tables import outbox
from tests.support.apps import ADMIN, auth, running, runtime_of, test_settings
from tests.support.replicas import seed_client, seed_staff

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@dataclass
class Api:
    http: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock

    async def staff(
        self,
        name: str,
        role: str = "manager",
        *,
        department: str | None = None,
        head_id: str | None = None,
        active: bool = True,
    ) -> str:
        staff_id = uuid.uuid4()
        async with self.runtime.sessions() as session:
            await seed_staff(
                session,
                staff_id,
                name,
                at=NOW,
                role=role,
                department=department,
                head_id=uuid.UUID(head_id) if head_id else None,
                active=active,
            )
            await session.commit()
        return str(staff_id)

    async def client(
        self,
        name: str,
        manager_id: str | None,
        *,
        timezone: str = "UTC",
        contacts: list[dict[str, Any]] | None = None,
    ) -> str:
        client_id = uuid.uuid4()
        async with self.runtime.sessions() as session:
            await seed_client(
                session,
                client_id,
                name,
                uuid.UUID(manager_id) if manager_id else None,
                at=NOW,
                timezone=timezone,
                contacts=contacts,
            )
            await session.commit()
        return str(client_id)

    async def post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] = ADMIN,
        expect: int | None = None,
    ) -> Any:
        response = await self.http.post(path, json=body, headers=headers)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response.json()

    async def invoice(
        self,
        client_id: str,
        lines: list[dict[str, str]] | None = None,
        *,
        currency: str = "EUR",
        issue: dict[str, Any] | None = None,
        headers: dict[str, str] = ADMIN,
        **extra: Any,
    ) -> dict[str, Any]:
        """A draft invoice, issued when ``issue`` is given (a dict, possibly empty)."""
        body = {
            "client_id": client_id,
            "currency": currency,
            "lines": lines
            or [
                {"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "0.20"}
            ],
            **extra,
        }
        draft = await self.post("/api/v1/invoices", body, headers, expect=201)
        if issue is None:
            return dict(draft)
        return dict(
            await self.post(f"/api/v1/invoices/{draft['id']}/issue", issue, headers, expect=200)
        )

    async def events(self, event_type: str, key: str | None = None) -> list[dict[str, Any]]:
        """The ``data`` of this service's outbox events of ``event_type``, in order."""
        query = select(outbox.c.payload).where(outbox.c.event_type == event_type)
        if key is not None:
            query = query.where(outbox.c.key == key)
        async with self.runtime.sessions() as session:
            rows = (await session.scalars(query.order_by(outbox.c.seq))).all()
        return [json.loads(p)["data"] for p in rows]

    async def scan(self) -> dict[str, int]:
        return await self.runtime.scheduler.run_once()


def as_(staff_id: str, role: str = "manager") -> dict[str, str]:
    return auth(staff_id, role)


def billing_settings(url: str, **extra: Any) -> Any:
    return test_settings(database_url=url, scheduler_interval_seconds=3600, **extra)


@pytest.fixture
async def api(pg_url: str) -> AsyncIterator[Api]:
    clock = FixedClock(NOW)
    app = create_app(billing_settings(pg_url), clock=clock, migrate_on_start=True)
    async with running(app) as http:
        yield Api(http, runtime_of(app, "billing"), clock)


@pytest.fixture
async def any_api(any_db_url: str) -> AsyncIterator[Api]:
    """The billing app on SQLite and on a fresh PostgreSQL database (each test runs twice)."""
    clock = FixedClock(NOW)
    app = create_app(billing_settings(any_db_url), clock=clock, migrate_on_start=True)
    async with running(app) as http:
        yield Api(http, runtime_of(app, "billing"), clock)
