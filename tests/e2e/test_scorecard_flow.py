"""The scorecard end to end, in both ways of running: a day of activity through the public
API of the clients, interactions and billing services (a head and a manager of Sales, a
client, a request answered on time, an NPS of 10, an invoice issued), then the head's
scorecard of the day in the notifications service counts it all."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.apps import auth
from tests.support.net import free_port
from tests.support.processes import (
    ORBIT,
    base_env,
    four_databases,
    migrate_all,
    process,
    wait_healthy,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
SERVICES = ("clients", "interactions", "billing", "notifications")


async def retried(api: httpx.AsyncClient, path: str, headers: dict[str, str], body: Any) -> Any:
    """POST until the service's replicas know the staff and the client (401/404 before)."""

    async def post() -> Any:
        response = await api.post(path, headers=headers, json=body)
        if response.status_code in (401, 404):
            return None
        assert response.status_code == 201, response.text
        return response.json()

    return await eventually(post, timeout=120, what=f"POST {path}")


async def scorecard_flow(urls: dict[str, str]) -> None:
    admin = auth(uuid.uuid4(), "admin")
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=urls["clients"], timeout=10) as api:
        head = await retried(
            api,
            "/api/v1/staff",
            admin,
            {
                "name": "Hana Head",
                "email": f"hana.{tag}@example.com",
                "role": "head",
                "department": "Sales",
                "locale": "ru",
            },
        )
        manager = await retried(
            api,
            "/api/v1/staff",
            admin,
            {
                "name": "Ann Manager",
                "email": f"ann.{tag}@example.com",
                "role": "manager",
                "department": "Sales",
                "head_id": head["id"],
            },
        )
        client = await retried(
            api,
            "/api/v1/clients",
            admin,
            {
                "name": "Initech",
                "account_manager_id": manager["id"],
                "status": "active",
                "sla": {"first_response_minutes": 60, "calendar": {"working_hours": "24x7"}},
            },
        )
    ann = auth(manager["id"], "manager")
    now = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=urls["interactions"], timeout=10) as api:
        inbound = await retried(
            api,
            "/api/v1/interactions",
            ann,
            {
                "client_id": client["id"],
                "type": "email",
                "direction": "inbound",
                "occurred_at": (now - timedelta(minutes=10)).isoformat(),
                "requires_response": True,
                "subject": "Question",
            },
        )
        await retried(
            api,
            "/api/v1/interactions",
            ann,
            {
                "client_id": client["id"],
                "type": "email",
                "direction": "outbound",
                "occurred_at": now.isoformat(),
                "responds_to": inbound["id"],
            },
        )
        await retried(
            api, "/api/v1/feedback", ann, {"client_id": client["id"], "kind": "nps", "score": 10}
        )
    async with httpx.AsyncClient(base_url=urls["billing"], timeout=10) as api:
        invoice = await retried(
            api,
            "/api/v1/invoices",
            ann,
            {
                "client_id": client["id"],
                "currency": "EUR",
                "lines": [
                    {
                        "description": "Audit",
                        "quantity": "2",
                        "unit_price": "500.00",
                        "tax_rate": "0",
                    }
                ],
            },
        )
        issued = await api.post(
            f"/api/v1/invoices/{invoice['id']}/issue",
            headers=ann,
            json={
                "issue_date": now.date().isoformat(),
                "due_date": (now.date() + timedelta(days=14)).isoformat(),
            },
        )
        assert issued.status_code == 200, issued.text

    hana = auth(head["id"], "head")
    async with httpx.AsyncClient(base_url=urls["notifications"], timeout=10) as api:

        async def counted() -> dict[str, Any] | None:
            response = await api.get(
                "/api/v1/reports/scorecard",
                headers=hana,
                params={"period": "day", "date": now.date().isoformat()},
            )
            if response.status_code in (401, 503):
                return None  # Hana's staff event has not reached notifications yet
            assert response.status_code == 200, response.text
            rows = {
                (r["kpi"], r["currency"]): r["current"]
                for r in response.json()["rows"]
                if r["level"] == "manager" and r["manager"] == "Ann Manager"
            }
            wanted = {
                ("requests", None): 1,
                ("answered_on_time", None): 1,
                ("nps", None): "100.0",
                ("revenue_invoiced", "EUR"): "1000.00",
                ("new_clients", None): 1,
                ("clients_active", None): 1,
            }
            return rows if all(rows.get(k) == v for k, v in wanted.items()) else None

        rows = await eventually(counted, timeout=120, what="the head's scorecard")
        assert rows[("sla_compliance", None)] == "100.0"


async def test_embedded_mode(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(ORBIT_DATA_DIR=str(tmp_path / "var"))
    log = tmp_path / "orbit-run.log"
    with process([ORBIT, "run", "--port", str(port)], env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, proc, log)
        await scorecard_flow(dict.fromkeys(SERVICES, url))


async def test_production_mode(tmp_path: Path, kafka: str) -> None:
    async with four_databases() as urls:
        env = base_env(
            ORBIT_KAFKA_BOOTSTRAP=kafka,
            **{f"ORBIT_{svc.upper()}_DATABASE_URL": url for svc, url in urls.items()},
        )
        migrate_all(env)
        ports = {svc: free_port() for svc in SERVICES}
        logs = {svc: tmp_path / f"{svc}.log" for svc in SERVICES}
        with (
            process(
                [ORBIT, "serve", "clients", "--port", str(ports["clients"])], env, logs["clients"]
            ) as a,
            process(
                [ORBIT, "serve", "interactions", "--port", str(ports["interactions"])],
                env,
                logs["interactions"],
            ) as b,
            process(
                [ORBIT, "serve", "billing", "--port", str(ports["billing"])], env, logs["billing"]
            ) as c,
            process(
                [ORBIT, "serve", "notifications", "--port", str(ports["notifications"])],
                env,
                logs["notifications"],
            ) as d,
        ):
            for svc, proc in zip(SERVICES, (a, b, c, d), strict=True):
                await wait_healthy(f"http://127.0.0.1:{ports[svc]}", proc, logs[svc])
            await scorecard_flow({svc: f"http://127.0.0.1:{port}" for svc, port in ports.items()})
