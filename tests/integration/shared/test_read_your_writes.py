"""Issue 17, section 2, embedded (``orbit run``: one process, SQLite per service, the
in-process bus): what the clients service committed is usable at once in interactions,
billing and notifications, 100 rounds in a row with no wait; an id the clients service does
not know is still 404 (422 for a contact, 401 for a token's subject); access scope holds."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.embedded import embedded_app
from shared.metrics import READS_THROUGH
from shared.readthrough import SERVICE_SUBJECT
from shared.replicas import client_replica, put_client
from tests.support.apps import auth, running, runtime_of, test_settings
from tests.support.readyourwrites import (
    SERVICE_OF,
    Orbit,
    Tally,
    invoice_body,
    one_round,
    rounds,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

ROUNDS = 100


@pytest.fixture
async def app(tmp_path: Path) -> FastAPI:
    return embedded_app(test_settings(data_dir=str(tmp_path)))


@pytest.fixture
async def orbit(app: FastAPI) -> AsyncIterator[Orbit]:
    async with running(app) as http:
        yield Orbit({service: http for service in set(SERVICE_OF.values())})


async def test_created_objects_are_usable_at_once_100_times(orbit: Orbit) -> None:
    started = time.monotonic()
    tally = await rounds(orbit, ROUNDS)
    elapsed = time.monotonic() - started
    print(
        f"embedded: {tally.rounds} rounds, {tally.calls} calls, {len(tally.failures)} failed, "
        f"{elapsed:.1f} s"
    )
    assert tally.rounds == ROUNDS
    assert tally.failures == []


async def test_unknown_ids_stay_not_found(orbit: Orbit) -> None:
    made = await one_round(orbit, 0, Tally())
    nobody = str(uuid.uuid4())
    unknown = READS_THROUGH.labels("billing", "client", "unknown")
    before = unknown._value.get()
    invoice = invoice_body(nobody)
    response = await orbit.call("POST", "/api/v1/invoices", made.headers, invoice)
    assert response.status_code == 404, response.text
    assert unknown._value.get() == before + 1  # asked, and the owner does not know it
    interaction = {
        "client_id": made.client,
        "type": "email",
        "direction": "outbound",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "contact_ids": [nobody],
    }
    response = await orbit.call("POST", "/api/v1/interactions", made.headers, interaction)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "contact_ids", "0"]
    for path in ("/api/v1/notifications", "/api/v1/invoices", "/api/v1/tasks"):
        response = await orbit.call("GET", path, auth(nobody, "manager"))
        assert response.status_code == 401, response.text


async def test_scope_holds_after_reading_through(orbit: Orbit) -> None:
    """A brand-new manager and a brand-new client of another manager: 404, not 201."""
    theirs = await orbit.create_all()
    mine = await orbit.create_all()
    response = await orbit.call(
        "POST", "/api/v1/invoices", mine.headers, invoice_body(theirs.client)
    )
    assert response.status_code == 404, response.text
    task = {
        "client_id": theirs.client,
        "title": "Not mine",
        "due_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "assignee_id": mine.manager,
    }
    response = await orbit.call("POST", "/api/v1/tasks", mine.headers, task)
    assert response.status_code == 404, response.text


async def test_the_events_arriving_later_agree(orbit: Orbit, app: FastAPI) -> None:
    """The replica written by a read-through is the one the events make: once they are
    applied, the client's row in every replica service has its contact and its version."""
    made = await one_round(orbit, 0, Tally())
    client_id = uuid.UUID(made.client)

    async def converged() -> bool:
        for service in ("interactions", "billing", "notifications"):
            async with runtime_of(app, service).reads() as session:
                row = (
                    await session.execute(
                        select(client_replica).where(client_replica.c.id == client_id)
                    )
                ).first()
            if row is None or [c["id"] for c in row.contacts] != [made.contact]:
                return False
        return True

    await eventually(converged, timeout=30, what="the replicas agree with the clients service")


async def test_the_owner_endpoint_is_for_services(orbit: Orbit) -> None:
    made = await orbit.create_all()
    http = orbit.http["clients"]
    path = f"/internal/v1/replica/clients/{made.client}"
    assert (await http.get(path)).status_code == 401
    assert (await http.get(path, headers=made.headers)).status_code == 403
    service = auth(SERVICE_SUBJECT, "service")  # no staff record needed
    state = (await http.get(path, headers=service)).json()
    assert state["client"]["client_id"] == made.client
    assert [c["contact_id"] for c in state["client"]["contacts"]] == [made.contact]
    assert state["manager"]["staff_id"] == made.manager
    staff = await http.get(f"/internal/v1/replica/staff/{made.manager}", headers=service)
    assert staff.json()["staff"]["role"] == "manager"
    unknown = await http.get(f"/internal/v1/replica/staff/{uuid.uuid4()}", headers=service)
    assert unknown.status_code == 404
    assert (
        "/internal/v1/replica/staff/{staff_id}"
        not in (await http.get("/openapi.json")).json()["paths"]
    )


async def test_versions_decide_between_a_read_through_and_the_events(app: FastAPI) -> None:
    """The owner's state is written as of its ``updated_at``: an event of the same or an older
    version changes nothing, a newer one wins; the owner's contacts replace the replica's
    whatever the version (contacts change without changing the client's)."""
    async with running(app):
        runtime = runtime_of(app, "billing")
        client_id = uuid.uuid4()
        t1 = datetime.now(UTC)

        def state(name: str, contacts: list[str] | None) -> dict[str, Any]:
            data: dict[str, Any] = {
                "client_id": str(client_id),
                "name": name,
                "tier": "standard",
                "status": "active",
                "timezone": "UTC",
                "sla": {},
            }
            if contacts is not None:
                data["contacts"] = [{"contact_id": c, "name": c} for c in contacts]
            return data

        async def row() -> Any:
            async with runtime.reads() as session:
                query = select(client_replica).where(client_replica.c.id == client_id)
                return (await session.execute(query)).one()

        async def put(data: dict[str, Any], version: datetime, **kw: bool) -> None:
            async with runtime.sessions() as session:
                await put_client(session, data, version, **kw)
                await session.commit()

        await put(state("Read through", ["a"]), t1, contacts_as_of_now=True)
        await put(state("Older event", None), t1 - timedelta(seconds=1))
        assert (await row()).name == "Read through"
        await put(
            state("Older owner state", ["a", "b"]),
            t1 - timedelta(seconds=2),
            contacts_as_of_now=True,
        )
        found = await row()
        assert (found.name, [c["id"] for c in found.contacts]) == ("Read through", ["a", "b"])
        await put(state("Newer event", None), t1 + timedelta(seconds=1))
        found = await row()
        assert (found.name, [c["id"] for c in found.contacts]) == ("Newer event", ["a", "b"])


async def test_a_new_head_sees_a_new_client_of_their_new_report_at_once(
    orbit: Orbit, app: FastAPI
) -> None:
    """... and the replica knows the client's team (read through or from the event alike):
    the manager's department and the head responsible for escalations."""
    tag = uuid.uuid4().hex[:8]
    head = await orbit.create(
        "/api/v1/staff", {"name": "Head", "email": f"h-{tag}@ryw.example", "role": "head"}
    )
    manager = await orbit.create(
        "/api/v1/staff",
        {
            "name": "Report",
            "email": f"r-{tag}@ryw.example",
            "role": "manager",
            "head_id": head,
            "department": f"team {tag}",
        },
    )
    client = await orbit.create(
        "/api/v1/clients", {"name": f"Team client {tag}", "account_manager_id": manager}
    )
    response = await orbit.call(
        "POST", "/api/v1/invoices", auth(head, "head"), invoice_body(client)
    )
    assert response.status_code == 201, response.text
    async with runtime_of(app, "billing").reads() as session:
        row = (
            await session.execute(
                select(client_replica).where(client_replica.c.id == uuid.UUID(client))
            )
        ).one()
    assert (row.account_manager_department, str(row.head_id)) == (f"team {tag}", head)


async def test_a_read_names_a_new_client_at_once(orbit: Orbit) -> None:
    """A GET (a read-only session) reads through too."""
    made = await orbit.create_all()
    response = await orbit.call("GET", f"/api/v1/clients/{made.client}/credit", made.headers)
    assert response.status_code == 200, response.text
