"""Read-your-writes rounds (issue 17, section 2), as a frontend calls: the admin creates a
member of staff, a client of theirs and a contact in the clients service, and each is used at
once, with no wait, in interactions, billing and notifications, the new manager's token
included. The same rounds run embedded (one app) and in production shape (four processes)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.apps import ADMIN, auth

# The service answering each path prefix.
SERVICE_OF = {
    "/api/v1/staff": "clients",
    "/api/v1/clients": "clients",  # but /api/v1/clients/{id}/credit: billing (one app here)
    "/api/v1/interactions": "interactions",
    "/api/v1/feedback": "interactions",
    "/api/v1/tasks": "interactions",
    "/api/v1/invoices": "billing",
    "/api/v1/opportunities": "billing",
    "/api/v1/notifications": "notifications",
}


@dataclass
class Created:
    """What one round created in the clients service."""

    manager: str
    client: str
    contact: str

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.manager, "manager")


@dataclass
class Tally:
    rounds: int = 0
    calls: int = 0
    failures: list[str] = field(default_factory=list)


class Orbit:
    """The services' HTTP clients: one per service (production shape) or one for all."""

    def __init__(self, http: Mapping[str, httpx.AsyncClient]) -> None:
        self.http = http

    def of(self, path: str) -> httpx.AsyncClient:
        prefix = "/".join(path.split("/")[:4])
        return self.http[SERVICE_OF[prefix]]

    async def call(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        return await self.of(path).request(method, path, headers=dict(headers), json=body)

    async def create(self, path: str, body: dict[str, Any]) -> str:
        response = await self.call("POST", path, ADMIN, body)
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        return str(response.json()["id"])

    async def create_all(self) -> Created:
        """A manager, a client of theirs and its contact, one right after the other."""
        tag = uuid.uuid4().hex[:10]
        manager = await self.create(
            "/api/v1/staff",
            {"name": f"Manager {tag}", "email": f"m-{tag}@ryw.example", "role": "manager"},
        )
        client = await self.create(
            "/api/v1/clients", {"name": f"Client {tag}", "account_manager_id": manager}
        )
        contact = await self.create(
            f"/api/v1/clients/{client}/contacts",
            {"name": f"Contact {tag}", "email": f"c-{tag}@ryw.example"},
        )
        return Created(manager, client, contact)


def invoice_body(client_id: str) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "currency": "EUR",
        "lines": [{"description": "Work", "quantity": "1", "unit_price": "100.00"}],
    }


def uses(made: Created, now: datetime) -> list[tuple[str, str, dict[str, Any] | None, int]]:
    """Each use of the new objects in the other services: (method, path, body, status)."""
    return [
        (
            "POST",
            "/api/v1/interactions",
            {
                "client_id": made.client,
                "type": "email",
                "direction": "outbound",
                "occurred_at": (now - timedelta(minutes=1)).isoformat(),
                "contact_ids": [made.contact],
            },
            201,
        ),
        ("POST", "/api/v1/invoices", invoice_body(made.client), 201),
        ("GET", "/api/v1/notifications", None, 200),
        (
            "POST",
            "/api/v1/feedback",
            {"client_id": made.client, "kind": "nps", "score": 9, "contact_id": made.contact},
            201,
        ),
        (
            "POST",
            "/api/v1/tasks",
            {
                "client_id": made.client,
                "title": "Kick-off",
                "due_at": (now + timedelta(days=2)).isoformat(),
                "assignee_id": made.manager,
            },
            201,
        ),
        (
            "POST",
            "/api/v1/opportunities",
            {"client_id": made.client, "title": "Upsell", "owner_id": made.manager},
            201,
        ),
    ]


async def one_round(orbit: Orbit, index: int, tally: Tally) -> Created:
    """Create, then use at once; the first call goes to another service each round (the new
    manager's first call is to interactions, billing or notifications in turn)."""
    made = await orbit.create_all()
    calls = uses(made, datetime.now(UTC))
    start = index % len(calls)
    for method, path, body, expected in calls[start:] + calls[:start]:
        response = await orbit.call(method, path, made.headers, body)
        tally.calls += 1
        if response.status_code != expected:
            tally.failures.append(
                f"round {index}: {method} {path}: {response.status_code} {response.text[:300]}"
            )
    tally.rounds += 1
    return made


async def rounds(orbit: Orbit, count: int) -> Tally:
    tally = Tally()
    for index in range(count):
        await one_round(orbit, index, tally)
    return tally
