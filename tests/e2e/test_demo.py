"""``orbit demo`` against the embedded server (``orbit run``, a real process): it fills every
service through the public API — staff, clients with contacts, interactions with a request
on hold and breached ones, meetings with reports, tasks, feedback, contracts, invoices
overdue and partly paid, payments — and a second run adds nothing."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.apps import auth
from tests.support.net import free_port
from tests.support.processes import ORBIT, base_env, process, wait_healthy
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e

LISTS = (
    "staff",
    "clients",
    "interactions",
    "tasks",
    "feedback",
    "contracts",
    "invoices",
    "payments",
)


async def counts(api: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, int]:
    found = {}
    for name in LISTS:
        response = await api.get(f"/api/v1/{name}?limit=500", headers=headers)
        assert response.status_code == 200, (name, response.text)
        found[name] = len(response.json()["items"])
    return found


async def test_orbit_demo_fills_every_service_and_a_second_run_adds_nothing(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = base_env(ORBIT_DATA_DIR=str(tmp_path / "var"))
    log = tmp_path / "orbit-run.log"
    url = f"http://127.0.0.1:{port}"
    admin = auth(uuid.uuid4(), "admin")
    with process([ORBIT, "run", "--port", str(port)], env, log) as proc:
        await wait_healthy(url, proc, log)
        demo = [ORBIT, "demo", "--url", url, "--clients", "4"]
        first = subprocess.run(demo, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        async with httpx.AsyncClient(base_url=url, timeout=10) as api:
            before = await counts(api, admin)
            assert before["clients"] == 4 and before["staff"] == 7
            assert all(before.values()), before

            async def breached() -> int:
                answer = await api.get("/api/v1/requests?status=breached", headers=admin)
                return len(answer.json()["items"])

            await eventually(breached, timeout=60, what="a breached request")
            held = await api.get("/api/v1/requests?status=on_hold", headers=admin)
            assert len(held.json()["items"]) == 1
            statuses = {
                i["status"]
                for i in (await api.get("/api/v1/invoices?limit=500", headers=admin)).json()[
                    "items"
                ]
            }
            assert {"overdue", "partially_paid", "paid"} <= statuses, statuses

            second = subprocess.run(demo, env=env, capture_output=True, text=True, timeout=300)
            assert second.returncode == 0, second.stderr
            assert await counts(api, admin) == before
            assert first.stdout == second.stdout
