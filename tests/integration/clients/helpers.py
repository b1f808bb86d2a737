"""Helpers of the clients integration tests: the clients app on a fresh PostgreSQL database
(the ``api`` fixture, shared through conftest.py), its outbox and its 422 problems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.clients.app import create_app
from shared.clock import FixedClock
from shared.runtime import ServiceRuntime
from tests.support.apps import ADMIN, running, runtime_of, test_settings
from tests.support.outbox import all_outbox_events, outbox_events

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@dataclass
class Api:
    http: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock

    async def staff(self, name: str, role: str = "manager", **extra: Any) -> dict[str, Any]:
        body = {
            "name": name,
            "email": f"{name.lower().replace(' ', '.')}@orbit.example",
            "role": role,
            **extra,
        }
        response = await self.http.post("/api/v1/staff", headers=ADMIN, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def client(self, name: str, manager_id: str | None, **extra: Any) -> dict[str, Any]:
        body = {"name": name, "account_manager_id": manager_id, **extra}
        response = await self.http.post("/api/v1/clients", headers=ADMIN, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def events(self, event_type: str, key: str | None = None) -> list[dict[str, Any]]:
        """The ``data`` of this service's outbox events of ``event_type``, in order."""
        return await outbox_events(self.runtime, event_type, key)

    async def events_all(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event of this service's outbox as ``(type, data)``, in ``seq`` order."""
        return await all_outbox_events(self.runtime)


@pytest.fixture
async def api(pg_url: str) -> AsyncIterator[Api]:
    clock = FixedClock(NOW)
    app = create_app(test_settings(database_url=pg_url), clock=clock, migrate_on_start=True)
    async with running(app) as http:
        yield Api(http, runtime_of(app, "clients"), clock)


@pytest.fixture
async def any_api(any_db_url: str) -> AsyncIterator[Api]:
    """The clients app on SQLite and on a fresh PostgreSQL database (each test runs twice)."""
    clock = FixedClock(NOW)
    app = create_app(test_settings(database_url=any_db_url), clock=clock, migrate_on_start=True)
    async with running(app) as http:
        yield Api(http, runtime_of(app, "clients"), clock)


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]
