"""One client at a glance end to end, in both ways of running: a client's day through the
public APIs of the clients, interactions and billing services (a contact with a birthday, a
request answered with a promise, a low NPS, a contract, an issued invoice), then, from the
notifications service's projection alone: the client's timeline (with the alert the NPS
raised), its summary, and the manager's calendar feed read back with ``icalendar``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from tests.e2e.test_scorecard_flow import SERVICES, retried
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


async def glance_flow(urls: dict[str, str]) -> None:
    admin = auth(uuid.uuid4(), "admin")
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=urls["clients"], timeout=10) as api:
        manager = await retried(
            api,
            "/api/v1/staff",
            admin,
            {"name": "Ann Manager", "email": f"ann.{tag}@example.com", "role": "manager"},
        )
        client = await retried(
            api,
            "/api/v1/clients",
            admin,
            {
                "name": f"Initech {tag}",
                "account_manager_id": manager["id"],
                "timezone": "Europe/Berlin",
                "sla": {"first_response_minutes": 60, "calendar": {"working_hours": "24x7"}},
            },
        )
        await retried(
            api,
            f"/api/v1/clients/{client['id']}/contacts",
            admin,
            {"name": "Jane Roe", "birthday": "--02-29"},
        )
    ann = auth(manager["id"], "manager")
    now = datetime.now(UTC)
    promise = now + timedelta(days=2)
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
                "promise_by": promise.isoformat(),
            },
        )
        await retried(
            api, "/api/v1/feedback", ann, {"client_id": client["id"], "kind": "nps", "score": 4}
        )
    today = now.date()
    async with httpx.AsyncClient(base_url=urls["billing"], timeout=10) as api:
        await retried(
            api,
            "/api/v1/contracts",
            ann,
            {
                "client_id": client["id"],
                "number": f"C-{tag}",
                "title": "Support",
                "starts_on": str(today),
                "ends_on": str(today + timedelta(days=200)),
            },
        )
        invoice = await retried(
            api,
            "/api/v1/invoices",
            ann,
            {
                "client_id": client["id"],
                "currency": "EUR",
                "lines": [{"description": "Audit", "quantity": "2", "unit_price": "500.00"}],
            },
        )
        issued = await api.post(
            f"/api/v1/invoices/{invoice['id']}/issue",
            headers=ann,
            json={"issue_date": str(today), "due_date": str(today + timedelta(days=14))},
        )
        assert issued.status_code == 200, issued.text

    wanted = {"interaction", "request", "feedback", "contract", "invoice", "alert"}
    async with httpx.AsyncClient(base_url=urls["notifications"], timeout=10) as api:
        path = f"/api/v1/clients/{client['id']}"

        async def merged() -> list[dict[str, Any]] | None:
            response = await api.get(path + "/timeline", headers=ann)
            if response.status_code in (401, 404):
                return None  # Ann or the client not replicated yet
            assert response.status_code == 200, response.text
            items = list(response.json()["items"])
            return items if wanted <= {i["type"] for i in items} else None

        items = await eventually(merged, timeout=120, what="the client's timeline")
        assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
        (request,) = [i for i in items if i["type"] == "request"]
        assert request["details"]["status"] == "acknowledged"

        async def summed() -> dict[str, Any] | None:
            response = await api.get(path + "/summary", headers=ann)
            assert response.status_code == 200, response.text
            summary = dict(response.json())
            return summary if summary["outstanding"] and summary["contract_end"] else None

        summary = await eventually(summed, timeout=60, what="the client's summary")
        assert summary["open_requests"] == 1
        assert summary["outstanding"] == [{"currency": "EUR", "amount": "1000.00"}]
        assert summary["overdue"] == [] and summary["last_nps"]["score"] == 4
        assert summary["days_since_last_contact"] is not None

        created = await api.post("/api/v1/calendar/feeds", headers=ann)
        assert created.status_code == 201, created.text

        async def calendar() -> dict[str, Any] | None:
            response = await api.get(created.json()["url"])
            assert response.status_code == 200, response.text
            events = {
                str(e["UID"]).split("-")[0]: e
                for e in Calendar.from_ical(response.content).walk("VEVENT")
            }
            return events if {"request", "contract", "invoice", "birthday"} <= set(events) else None

        events = await eventually(calendar, timeout=60, what="Ann's calendar")
        promised = events["request"].decoded("DTSTART")  # iCalendar keeps whole seconds
        assert promise.replace(microsecond=0) == promised
        assert str(promised.tzinfo) == "Europe/Berlin"  # the client's zone
        assert events["invoice"].decoded("DTSTART") == today + timedelta(days=14)
        assert "RRULE" in events["birthday"]


async def test_embedded_mode(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(ORBIT_DATA_DIR=str(tmp_path / "var"))
    log = tmp_path / "orbit-run.log"
    with process([ORBIT, "run", "--port", str(port)], env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, proc, log)
        await glance_flow(dict.fromkeys(SERVICES, url))


async def test_production_mode(tmp_path: Path, kafka: str) -> None:
    async with four_databases() as urls:
        env = base_env(
            ORBIT_KAFKA_BOOTSTRAP=kafka,
            **{f"ORBIT_{svc.upper()}_DATABASE_URL": url for svc, url in urls.items()},
        )
        migrate_all(env)
        async with serving(SERVICES, env, tmp_path) as served:
            await glance_flow(served)
