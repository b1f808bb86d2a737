"""Idempotency-Key under concurrency on the real PostgreSQL: N identical POSTs at once with one
key have one effect; every answer is the first response replayed (or, while the first is
still running, a 409 saying so); the same key with another body stays a 409."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.clients.app import create_app
from services.clients.store.models import Client, Staff
from shared import idempotency
from shared.runtime import ServiceRuntime
from tests.support.apps import ADMIN, ADMIN_ID, running, runtime_of, test_settings

pytestmark = pytest.mark.integration

PARALLEL = 6


@pytest.fixture
async def api(pg_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    app = create_app(test_settings(database_url=pg_url), migrate_on_start=True)
    async with running(app) as http:
        yield http, runtime_of(app, "clients")


async def count(runtime: ServiceRuntime, entity: Any) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(entity)) or 0)


async def fire(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], key: str
) -> list[httpx.Response]:
    headers = ADMIN | {"Idempotency-Key": key}
    return list(
        await asyncio.gather(
            *(http.post(path, json=body, headers=headers) for _ in range(PARALLEL))
        )
    )


def check_one_effect(responses: list[httpx.Response]) -> dict[str, Any]:
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [(r.status_code, r.text) for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert created, [r.text for r in responses]
    first = [r for r in created if "Idempotent-Replayed" not in r.headers]
    assert len(first) == 1, [dict(r.headers) for r in created]
    for replay in created:
        assert replay.json() == first[0].json()
    for busy in (r for r in responses if r.status_code == 409):
        assert busy.headers["content-type"] == "application/problem+json"
        assert "in progress" in busy.json()["detail"]
    return dict(first[0].json())


async def test_parallel_staff_posts_with_one_key_create_one_member(api) -> None:  # type: ignore[no-untyped-def]
    http, runtime = api
    before = await count(runtime, Staff)
    body = {
        "name": "Ada Race",
        "email": f"ada.{uuid.uuid4().hex[:6]}@orbit.example",
        "role": "manager",
    }
    created = check_one_effect(await fire(http, "/api/v1/staff", body, "staff-key-1"))
    assert await count(runtime, Staff) == before + 1
    again = await http.post(
        "/api/v1/staff", json=body, headers=ADMIN | {"Idempotency-Key": "staff-key-1"}
    )
    assert again.status_code == 201 and again.json() == created
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await http.post(
        "/api/v1/staff",
        json=body | {"name": "Ada Other"},
        headers=ADMIN | {"Idempotency-Key": "staff-key-1"},
    )
    assert other.status_code == 409 and "another request" in other.json()["detail"]


async def test_parallel_client_posts_with_one_key_create_one_client(api) -> None:  # type: ignore[no-untyped-def]
    http, runtime = api
    body = {"name": "Race Corp", "account_manager_id": None}
    created = check_one_effect(await fire(http, "/api/v1/clients", body, "client-key-1"))
    assert await count(runtime, Client) == 1
    listed = (await http.get("/api/v1/clients", headers=ADMIN)).json()["items"]
    assert [c["id"] for c in listed] == [created["id"]]


async def test_a_duplicate_of_a_request_still_running_is_told_so(
    api,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    http, runtime = api
    monkeypatch.setattr(idempotency, "IN_PROGRESS_WAIT_SECONDS", 0.3)
    body = {"name": "Slow Corp", "account_manager_id": None}
    headers = ADMIN | {"Idempotency-Key": "slow-key"}
    # Another request with this key is in its transaction: it holds the key's lock.
    async with runtime.engine.connect() as first, first.begin():
        await first.execute(
            select(func.pg_advisory_xact_lock(idempotency._lock_id(str(ADMIN_ID), "slow-key")))
        )
        busy = await http.post("/api/v1/clients", json=body, headers=headers)
        assert busy.status_code == 409, busy.text
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.json()["detail"].startswith(
            "a request with this Idempotency-Key is in progress"
        )
    assert await count(runtime, Client) == 0
    done = await http.post("/api/v1/clients", json=body, headers=headers)
    assert done.status_code == 201 and "Idempotent-Replayed" not in done.headers
    assert await count(runtime, Client) == 1
