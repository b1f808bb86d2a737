"""Billing end to end in the embedded mode (``orbit run``, real process, SQLite, the
in-process bus): a manager created in the clients service reaches billing's replica; an
invoice issued with a past due date becomes overdue through the scheduler (``invoice.overdue``
published, i.e. sent from the outbox); a payment settles it and ``invoice.paid`` is
published. The manager's feed entry for the overdue invoice belongs to the notifications
rules (a separate issue) and is not checked here."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_first_flow import ORBIT, base_env, process, wait_healthy
from tests.support.apps import auth
from tests.support.net import free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e


def published(db: Path, event_type: str) -> list[dict[str, object]]:
    """The ``data`` of the billing events of ``event_type`` the relay has sent."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT payload FROM outbox WHERE event_type = ? AND sent_at IS NOT NULL ORDER BY seq",
            (event_type,),
        ).fetchall()
    return [json.loads(r[0])["data"] for r in rows]


async def test_overdue_then_paid_in_embedded_mode(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(ORBIT_DATA_DIR=str(tmp_path / "var"))
    log = tmp_path / "orbit-run.log"
    admin = auth(uuid.uuid4(), "admin")
    with process([ORBIT, "run", "--port", str(port)], env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, proc, log)
        async with httpx.AsyncClient(base_url=url, timeout=10) as api:
            staff = await api.post(
                "/api/v1/staff",
                headers=admin,
                json={
                    "name": "Mia Manager",
                    "email": f"mia.{uuid.uuid4().hex[:8]}@example.com",
                    "role": "manager",
                },
            )
            manager = auth(staff.json()["id"], "manager")
            client = await api.post(
                "/api/v1/clients",
                headers=admin,
                json={
                    "name": "Acme GmbH",
                    "account_manager_id": staff.json()["id"],
                    "timezone": "Europe/Berlin",
                },
            )
            client_id = client.json()["id"]

            async def draft() -> dict[str, object] | None:
                # 401/404 until the staff and client events reached billing's replicas
                response = await api.post(
                    "/api/v1/invoices",
                    headers=manager,
                    json={
                        "client_id": client_id,
                        "currency": "EUR",
                        "lines": [
                            {
                                "description": "Консалтинг",
                                "quantity": "2",
                                "unit_price": "500.00",
                                "tax_rate": "0.19",
                            }
                        ],
                    },
                )
                return dict(response.json()) if response.status_code == 201 else None

            invoice = await eventually(draft, timeout=60, what="billing knows the client")
            issued = await api.post(
                f"/api/v1/invoices/{invoice['id']}/issue",
                headers=manager,
                json={"issue_date": "2026-01-05", "due_date": "2026-01-19"},
            )
            assert issued.status_code == 200, issued.text
            assert issued.json()["total"] == "1190.00"
            db = tmp_path / "var" / "billing.db"

            async def overdue() -> list[dict[str, object]]:
                return published(db, "orbit.billing.invoice.overdue.v1")

            [event] = await eventually(overdue, timeout=60, what="invoice.overdue published")
            assert (event["invoice_id"], event["account_manager_id"], event["balance"]) == (
                invoice["id"],
                staff.json()["id"],
                "1190.00",
            )
            got = await api.get(f"/api/v1/invoices/{invoice['id']}", headers=manager)
            assert got.json()["status"] == "overdue"
            paid = await api.post(
                "/api/v1/payments",
                headers=manager,
                json={
                    "client_id": client_id,
                    "amount": "1190.00",
                    "currency": "EUR",
                    "reference": "SEPA-1",
                },
            )
            assert paid.status_code == 201, paid.text

            async def settled() -> list[dict[str, object]]:
                return published(db, "orbit.billing.invoice.paid.v1")

            [event] = await eventually(settled, timeout=30, what="invoice.paid published")
            assert event["invoice_id"] == invoice["id"]
            got = await api.get(f"/api/v1/invoices/{invoice['id']}", headers=manager)
            assert (got.json()["status"], got.json()["balance"]) == ("paid", "0.00")
