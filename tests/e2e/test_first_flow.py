"""The first flow over HTTP against real processes, in both ways of running:
an admin creates a manager and a client; the manager's feed shows the notification."""

from __future__ import annotations

import uuid
from pathlib import Path

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
    serving,
    wait_healthy,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


async def first_flow(clients_url: str, notifications_url: str) -> None:
    admin = auth(uuid.uuid4(), "admin")
    async with httpx.AsyncClient(base_url=clients_url, timeout=10) as api:
        response = await api.post(
            "/api/v1/staff",
            headers=admin,
            json={
                "name": "Mia Manager",
                "email": f"mia.{uuid.uuid4().hex[:8]}@example.com",
                "role": "manager",
                "department": "north",
                "timezone": "Europe/Berlin",
            },
        )
        assert response.status_code == 201, response.text
        manager_id = response.json()["id"]
        response = await api.post(
            "/api/v1/clients",
            headers=admin,
            json={
                "name": "Acme GmbH",
                "tier": "key",
                "account_manager_id": manager_id,
                "country": "DE",
                "timezone": "Europe/Berlin",
            },
        )
        assert response.status_code == 201, response.text
        client_id = response.json()["id"]
        assert response.json()["sla"]["first_response_minutes"] == 60

        manager = auth(manager_id, "manager")
        mine = await api.get("/api/v1/clients", headers=manager)
        assert [c["id"] for c in mine.json()["items"]] == [client_id]
        other = auth(uuid.uuid4(), "manager")  # not a staff member
        assert (await api.get("/api/v1/clients", headers=other)).status_code == 401

    async with httpx.AsyncClient(base_url=notifications_url, timeout=10) as api:

        async def feed() -> list[dict[str, object]]:
            response = await api.get("/api/v1/notifications", headers=manager)
            # 401 until the staff.created event has reached the notifications service
            return response.json()["items"] if response.status_code == 200 else []

        items = await eventually(feed, timeout=60, what="the manager's notification")
        assert [(n["title"], n["client_id"]) for n in items] == [
            ("New client assigned: Acme GmbH", client_id)
        ]
        admin_feed = await api.get("/api/v1/notifications", headers=admin)
        assert admin_feed.json()["items"] == []  # a feed is the caller's own


async def test_embedded_mode(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(ORBIT_DATA_DIR=str(tmp_path / "var"))
    log = tmp_path / "orbit-run.log"
    with process([ORBIT, "run", "--port", str(port)], env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, proc, log)
        await first_flow(url, url)
    assert (tmp_path / "var" / "clients.db").exists()


async def test_production_mode(tmp_path: Path, kafka: str) -> None:
    async with four_databases() as urls:
        env = base_env(
            ORBIT_KAFKA_BOOTSTRAP=kafka,
            **{f"ORBIT_{svc.upper()}_DATABASE_URL": url for svc, url in urls.items()},
        )
        assert migrate_all(env).split() == [
            "migrated",
            "clients",
            "migrated",
            "interactions",
            "migrated",
            "billing",
            "migrated",
            "notifications",
        ]
        async with serving(list(urls), env, tmp_path) as served:
            await first_flow(served["clients"], served["notifications"])
