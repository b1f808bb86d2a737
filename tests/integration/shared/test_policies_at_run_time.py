"""The policies a head sets at run time (``PUT /api/v1/settings?department=``) followed to the
scans and alerts of the services that apply them, every service in one process (``orbit
run``: the in-process bus; SQLite and PostgreSQL) on a clock the test moves: the at-risk
fraction (the requests interactions opens next), the dunning schedule and its escalation step
(billing's payment reminders, the open invoices re-planned), a department's notification
rules (``/api/v1/rules?department=``: its clients' alerts). The budget and low-score
thresholds and the SLA targets: ``test_policies_round_trip.py``; the report schedules and the
scorecard deviation threshold: ``notifications/test_scorecard_policies.py``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.embedded import embedded_app
from shared.clock import FixedClock
from shared.policy_replica import policy_replica
from shared.replica_store import client_replica
from tests.support.apps import ADMIN, auth, running, runtime_of, test_settings
from tests.support.outbox import outbox_events
from tests.support.servers import fresh_service_databases
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@dataclass
class Orbit:
    app: FastAPI
    http: httpx.AsyncClient
    clock: FixedClock

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str] = ADMIN) -> Any:
        response = await self.http.post(path, json=body, headers=headers)
        assert response.status_code in (200, 201), f"{path}: {response.text}"
        return response.json()

    async def team(self, department: str) -> tuple[dict[str, str], dict[str, str], str]:
        """A head and a manager of ``department`` (their headers) and a client of the
        manager's, once every service holds its replica."""
        head = await self.post(
            "/api/v1/staff",
            {
                "name": "H",
                "email": f"h@{department}.example",
                "role": "head",
                "department": department,
            },
        )
        mia = await self.post(
            "/api/v1/staff",
            {
                "name": "M",
                "email": f"m@{department}.example",
                "department": department,
                "head_id": head["id"],
            },
        )
        client = await self.post(
            "/api/v1/clients", {"name": "Acme", "tier": "key", "account_manager_id": mia["id"]}
        )
        as_mia = auth(mia["id"], "manager")

        async def replicated() -> bool:
            for service in ("interactions", "billing"):
                async with runtime_of(self.app, service).reads() as session:
                    found = await session.scalar(
                        select(client_replica.c.id).where(
                            client_replica.c.id == uuid.UUID(client["id"])
                        )
                    )
                if found is None:
                    return False
            return True

        await eventually(replicated, what="the client's replicas")
        return auth(head["id"], "head"), as_mia, client["id"]

    async def set_policy(
        self, head: dict[str, str], department: str, body: dict[str, Any], *services: str
    ) -> None:
        """PUT the department's settings; return once ``services`` hold the new version."""
        response = await self.http.put(
            "/api/v1/settings", headers=head, params={"department": department}, json=body
        )
        assert response.status_code == 200, response.text
        version = response.json()["version"]

        async def held() -> bool:
            for service in services:
                async with runtime_of(self.app, service).reads() as session:
                    found = await session.scalar(
                        select(policy_replica.c.version).where(
                            policy_replica.c.department == department
                        )
                    )
                if found != version:
                    return False
            return True

        await eventually(held, what=f"the policy in {', '.join(services)}")

    async def scan(self, service: str) -> None:
        await runtime_of(self.app, service).scheduler.run_once()

    async def events(self, service: str, event_type: str) -> list[dict[str, Any]]:
        return await outbox_events(runtime_of(self.app, service), event_type)


@asynccontextmanager
async def embedded_orbit(
    mode: str, tmp_path_factory: Any, databases: str, clock: FixedClock
) -> AsyncIterator[Orbit]:
    """Every service in one process on ``clock``: SQLite, or fresh PostgreSQL databases."""
    async with AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        if mode == "postgresql":
            urls = await fresh_service_databases(stack, databases)
        data_dir = Path(tmp_path_factory.mktemp("orbit"))
        settings = test_settings(data_dir=str(data_dir), scheduler_interval_seconds=3600, **urls)
        app = embedded_app(settings, clock=clock)
        async with running(app) as http:
            yield Orbit(app, http, clock)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def orbit(request: pytest.FixtureRequest, tmp_path_factory: Any) -> AsyncIterator[Orbit]:
    clock = FixedClock(datetime.now(UTC).replace(second=0, microsecond=0))
    async with embedded_orbit(request.param, tmp_path_factory, "runtime_policies", clock) as o:
        yield o


async def test_the_at_risk_fraction_reaches_the_requests_opened_next(orbit: Orbit) -> None:
    head, as_mia, client = await orbit.team("risk")
    opened = (orbit.clock.now() - timedelta(minutes=1)).isoformat()

    async def inbound() -> dict[str, Any]:
        body = {
            "client_id": client,
            "type": "email",
            "direction": "inbound",
            "occurred_at": opened,
            "requires_response": True,
        }
        logged = await orbit.post("/api/v1/interactions", body, as_mia)
        found = await orbit.http.get(f"/api/v1/requests/{logged['request_id']}", headers=as_mia)
        return dict(found.json())

    before = await inbound()  # the environment's 0.75
    await orbit.set_policy(head, "risk", {"at_risk_fraction": 0.25}, "interactions")
    after = await inbound()
    assert after["due_at"] == before["due_at"]
    assert after["at_risk_at"] < before["at_risk_at"]
    # at the new fraction's instant, only the request opened under it is at risk
    orbit.clock.set(datetime.fromisoformat(after["at_risk_at"]) + timedelta(seconds=1))
    await orbit.scan("interactions")
    at_risk = await orbit.events("interactions", "orbit.interactions.sla.at_risk.v1")
    assert [e["request_id"] for e in at_risk if e["client_id"] == client] == [after["id"]]


async def test_the_dunning_schedule_and_escalation_reach_the_open_invoices(orbit: Orbit) -> None:
    head, as_mia, client = await orbit.team("dun")
    today = orbit.clock.now().date()
    line = {"description": "Work", "quantity": "1", "unit_price": "100", "tax_rate": "0"}
    draft = await orbit.post(
        "/api/v1/invoices", {"client_id": client, "currency": "EUR", "lines": [line]}, as_mia
    )
    issue = {
        "issue_date": str(today - timedelta(days=10)),
        "due_date": str(today - timedelta(days=2)),
    }
    invoice = await orbit.post(f"/api/v1/invoices/{draft['id']}/issue", issue, as_mia)

    async def reminders() -> list[tuple[int, bool]]:
        found = await orbit.events("billing", "orbit.billing.invoice.payment_reminder_due.v1")
        return [(r["step"], r["escalate"]) for r in found if r["invoice_id"] == invoice["id"]]

    await orbit.scan("billing")
    assert await reminders() == [(1, False)]  # the environment's -3,1,7,14,30: next on day 7
    policy = {"dunning_schedule": [1, 3, 5], "dunning_escalate_from_days": 3}
    await orbit.set_policy(head, "dun", policy, "billing")
    orbit.clock.advance(timedelta(days=1))  # day 3 of the new schedule
    await orbit.scan("billing")
    assert await reminders() == [(1, False), (3, True)]


async def test_a_departments_rules_over_the_global_ones(orbit: Orbit) -> None:
    head, as_mia, client = await orbit.team("rules")
    other_head, as_other, other_client = await orbit.team("other")
    low = "orbit.interactions.feedback.received.v1"
    own = [{"event_type": low, "recipients": ["head"], "channels": ["in_app"], "severity": "info"}]
    # a head: their own department's rules only; the global ones are the admins'
    for who, params in ((other_head, {"department": "rules"}), (head, {})):
        denied = await orbit.http.put("/api/v1/rules", headers=who, params=params, json=own)
        assert denied.status_code == 403, denied.text
    wrong = await orbit.http.put(
        "/api/v1/rules",
        headers=head,
        params={"department": "rules"},
        json=[own[0] | {"department": "x"}],
    )
    assert wrong.status_code == 422 and "department" in str(wrong.json()["errors"][0]["loc"])
    saved = await orbit.http.put(
        "/api/v1/rules", headers=head, params={"department": "rules"}, json=own
    )
    assert saved.status_code == 200, saved.text
    in_force = {r["event_type"]: r for r in saved.json()}
    assert (in_force[low]["department"], in_force[low]["recipients"]) == ("rules", ["head"])
    assert all(r["department"] is None for t, r in in_force.items() if t != low)
    read = await orbit.http.get("/api/v1/rules", headers=as_mia, params={"department": "rules"})
    assert read.json() == saved.json()
    assert (
        await orbit.http.get("/api/v1/rules", headers=as_other, params={"department": "rules"})
    ).status_code == 403
    assert low not in {
        r["event_type"]
        for r in (await orbit.http.get("/api/v1/rules", headers=as_mia)).json()
        if r["department"]
    }

    async def feed(who: dict[str, str]) -> list[str]:
        found = await orbit.http.get("/api/v1/notifications", headers=who)
        return [n["client_id"] for n in found.json()["items"] if n["type"] == low]

    for who, at in ((as_mia, client), (as_other, other_client)):
        await orbit.post("/api/v1/feedback", {"client_id": at, "kind": "nps", "score": 1}, who)
    # the department's client: its head (its rule), not its manager; the other's: the global rule
    await eventually(lambda: feed(head), what="the head's entry")
    await eventually(lambda: feed(as_other), what="the other manager's entry")
    assert (await feed(head), await feed(as_mia), await feed(other_head)) == ([client], [], [])
