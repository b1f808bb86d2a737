"""A policy changed through the API reaches the rules that use it in the other services, in
the embedded mode (one process, the in-process bus; SQLite and PostgreSQL): a department's new
SLA target reaches the requests interactions opens next (the one already open keeps its
deadline), its low-score threshold the feedback interactions flags, its budget thresholds
the alerts billing emits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.embedded import embedded_app
from shared.settings import SERVICES
from shared.tables import dead_letters
from tests.support.apps import ADMIN, auth, running, runtime_of, test_settings
from tests.support.outbox import outbox_events
from tests.support.servers import fresh_service_databases
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
async def orbit(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        if request.param == "postgresql":
            urls = await fresh_service_databases(stack, "policies")
        app = embedded_app(test_settings(data_dir=str(tmp_path), **urls))
        yield app, await stack.enter_async_context(running(app))


async def post(http: httpx.AsyncClient, path: str, body: dict[str, Any], **kw: Any) -> Any:
    response = await http.post(path, json=body, headers=kw.get("headers", ADMIN))
    assert response.status_code in (200, 201), f"{path}: {response.text}"
    return response.json()


async def test_a_department_policy_reaches_interactions_and_billing(
    orbit: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = orbit
    head = await post(
        http,
        "/api/v1/staff",
        {"name": "H", "email": "h@x.example", "role": "head", "department": "north"},
    )
    mia = await post(
        http,
        "/api/v1/staff",
        {"name": "M", "email": "m@x.example", "department": "north", "head_id": head["id"]},
    )
    client = await post(
        http, "/api/v1/clients", {"name": "Acme", "tier": "key", "account_manager_id": mia["id"]}
    )
    as_mia = auth(mia["id"], "manager")
    now = runtime_of(app, "interactions").clock.now()

    async def inbound() -> dict[str, Any] | None:
        response = await http.post(
            "/api/v1/interactions",
            headers=as_mia,
            json={
                "client_id": client["id"],
                "type": "email",
                "direction": "inbound",
                "occurred_at": (now - timedelta(minutes=1)).isoformat(),
                "requires_response": True,
            },
        )
        if response.status_code in (401, 404):  # the replicas not there yet
            return None
        assert response.status_code == 201, response.text
        found = await http.get(f"/api/v1/requests/{response.json()['request_id']}", headers=as_mia)
        return dict(found.json())

    first = await eventually(inbound, what="the client's replica in interactions")
    assert first["first_response_minutes"] == 60

    policy = {
        "sla_defaults": {"key": {"first_response_minutes": 30}},
        "low_score": {"nps_max": 4},
        "budget_thresholds": [50, 100],
    }
    changed = await http.put(
        "/api/v1/settings",
        headers=auth(head["id"], "head"),
        params={"department": "north"},
        json=policy,
    )
    assert changed.status_code == 200, changed.text

    async def follows() -> dict[str, Any] | None:
        request = await inbound()
        return request if request and request["first_response_minutes"] == 30 else None

    await eventually(follows, what="the new SLA target in interactions")
    kept = (await http.get(f"/api/v1/requests/{first['id']}", headers=as_mia)).json()
    assert (kept["first_response_minutes"], kept["due_at"]) == (60, first["due_at"])

    async def feedback(score: int) -> bool:
        body = {"client_id": client["id"], "kind": "nps", "score": score}
        return bool((await post(http, "/api/v1/feedback", body, headers=as_mia))["low"])

    assert (await feedback(5), await feedback(4)) == (False, True)

    contract = await post(
        http,
        "/api/v1/contracts",
        {
            "client_id": client["id"],
            "number": "C-1",
            "title": "Support",
            "starts_on": str(now.date()),
            "ends_on": str(now.date() + timedelta(days=365)),
            "budget": {"amount": "1000", "currency": "EUR"},
        },
        headers=as_mia,
    )
    line = {"description": "Work", "quantity": "1", "unit_price": "600", "tax_rate": "0"}
    draft = await post(
        http,
        "/api/v1/invoices",
        {
            "client_id": client["id"],
            "contract_id": contract["id"],
            "currency": "EUR",
            "lines": [line],
        },
        headers=as_mia,
    )
    await post(http, f"/api/v1/invoices/{draft['id']}/issue", {}, headers=as_mia)
    reached = await outbox_events(
        runtime_of(app, "billing"), "orbit.billing.budget.threshold_reached.v1"
    )
    assert [e["threshold"] for e in reached] == [50]  # not 80: the department's thresholds
    for service in SERVICES:  # every consumer took settings.changed (notifications: webhooks)
        async with runtime_of(app, service).reads() as session:
            assert await session.scalar(select(func.count()).select_from(dead_letters)) == 0
