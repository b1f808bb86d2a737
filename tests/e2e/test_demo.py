"""``orbit demo`` against the embedded server (``orbit run``, a real process), exactly as the
README tells a newcomer (``make demo``: the default size, run twice): it fills every
service through the public API — staff, clients with contacts, interactions with a request
on hold and breached ones, meetings with reports, tasks, meetings planned for the coming two
weeks, feedback, contracts, invoices overdue and partly paid, payments — and a second run
adds nothing."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta
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
    "meetings",
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
        demo = [ORBIT, "demo", "--url", url]  # what `make demo` runs: the default size
        first = subprocess.run(demo, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        async with httpx.AsyncClient(base_url=url, timeout=10) as api:
            before = await counts(api, admin)
            # The README's promise: heads and managers, 50 clients across tiers, countries and
            # statuses, contacts with birthdays, meetings with and without reports, ...
            assert before["clients"] == 50 and before["staff"] == 7
            assert all(before.values()), before
            clients = (await api.get("/api/v1/clients?limit=500", headers=admin)).json()["items"]
            assert {c["status"] for c in clients} == {"prospect", "active", "paused"}
            assert len({c["tier"] for c in clients}) >= 3
            assert len({c["country"] for c in clients}) >= 3
            meetings = (
                await api.get("/api/v1/interactions?type=meeting&limit=500", headers=admin)
            ).json()["items"]
            assert meetings, "no meetings"
            # a calendar with something in it: the coming two weeks, meetings and calls
            planned = (await api.get("/api/v1/meetings?limit=500", headers=admin)).json()["items"]
            now = datetime.now(UTC)
            assert all(now < datetime.fromisoformat(m["starts_at"]) for m in planned)
            assert all(
                datetime.fromisoformat(m["starts_at"]) < now + timedelta(days=15) for m in planned
            )
            assert {m["kind"] for m in planned} == {"meeting", "call"}
            assert {m["status"] for m in planned} == {"planned", "cancelled"}

            async def breached() -> int:
                answer = await api.get("/api/v1/requests?status=breached", headers=admin)
                return len(answer.json()["items"])

            await eventually(breached, timeout=60, what="a breached request")
            held = await api.get("/api/v1/requests?status=on_hold", headers=admin)
            assert held.json()["items"], "no request on hold"
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
