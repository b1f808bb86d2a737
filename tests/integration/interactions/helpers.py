"""Helpers of the interactions integration tests: the interactions app on a fresh PostgreSQL
database with a fixed clock (the ``api`` fixture), its replicas fed with clients events the
way the consumer applies them, its outbox, and its 422 problems."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.clients.domain.team import responsible_head
from services.clients.events import (
    CalendarV1,
    ClientContactV1,
    ClientCreatedV1,
    ClientUpdatedV1,
    SlaV1,
    StaffCreatedV1,
)
from services.interactions.app import create_app
from services.interactions.subscribers import SUBSCRIBERS
from shared.clock import FixedClock
from shared.messaging.envelope import Event
from shared.runtime import ServiceRuntime
from shared.tables import outbox
from tests.support.apps import ADMIN, auth, running, runtime_of, test_settings
from tests.support.problems import field_errors

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Berlin
OFFICE = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
BERLIN_OFFICE = {"timezone": "Europe/Berlin", "working_hours": OFFICE, "holidays_country": "DE"}

__all__ = ["ADMIN", "NOW", "Api", "any_api", "api", "api_of", "field_errors", "iso"]


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Person:
    id: str
    headers: dict[str, str]


@dataclass
class ClientRef:
    id: str
    contacts: list[str]
    manager_id: str | None


@dataclass
class Api:
    http: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock
    # Who has been fed as staff: id -> (role, department, head_id), for the client events'
    # team fields (the manager's department and responsible head, as the clients service).
    people: dict[str, tuple[str, str | None, uuid.UUID | None]] = field(default_factory=dict)

    def team(self, manager: Person | None) -> dict[str, Any]:
        if manager is None or manager.id not in self.people:
            return {"account_manager_department": None, "head_id": None}
        role, department, head_id = self.people[manager.id]
        return {
            "account_manager_department": department,
            "head_id": responsible_head(uuid.UUID(manager.id), role, head_id),
        }

    async def feed(self, event: Event) -> None:
        """Apply a clients event as the consumer would (replicas and contact cadence)."""
        envelope = event.to_cloudevent(time=self.clock.now())
        async with self.runtime.uow() as uow:
            await SUBSCRIBERS[envelope.type](uow, envelope)
            await uow.commit()

    async def staff(
        self,
        name: str,
        role: str = "manager",
        department: str | None = None,
        head_id: str | None = None,
        active: bool = True,
    ) -> Person:
        staff_id = uuid.uuid4()
        await self.feed(
            StaffCreatedV1(
                staff_id=staff_id,
                name=name,
                email=f"{staff_id.hex[:10]}@orbit.example",
                role=role,
                department=department,  # type: ignore[arg-type]
                head_id=uuid.UUID(head_id) if head_id else None,
                timezone="Europe/Berlin",
                locale=None,
                active=active,
            )
        )
        self.people[str(staff_id)] = (role, department, uuid.UUID(head_id) if head_id else None)
        return Person(str(staff_id), auth(staff_id, role))

    async def client(
        self,
        name: str,
        manager: Person | None,
        *,
        contacts: int = 2,
        status: str = "active",
        first_response_minutes: int = 60,
        cadence_days: int = 3,
        report_hours: int = 24,
        calendar: dict[str, Any] | None = None,
        updated: bool = False,
        client_id: str | None = None,
    ) -> ClientRef:
        cid = uuid.UUID(client_id) if client_id else uuid.uuid4()
        contact_ids = [uuid.uuid4() for _ in range(contacts)]
        cal = calendar or BERLIN_OFFICE
        fields: dict[str, Any] = dict(
            client_id=cid,
            name=name,
            kind="b2b",
            tier="standard",
            status=status,
            account_manager_id=uuid.UUID(manager.id) if manager else None,
            **self.team(manager),
            segment=None,
            tags=[],
            country="DE",
            timezone="Europe/Berlin",
            sla=SlaV1(
                first_response_minutes=first_response_minutes,
                contact_cadence_days=cadence_days,
                meeting_report_hours=report_hours,
                calendar=CalendarV1(**cal),
            ),
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
            contacts=[
                ClientContactV1(
                    contact_id=c,
                    name=f"Contact {i}",
                    email=f"c{i}.{c.hex[:6]}@client.example",
                    phone=None,
                    roles=["technical"],
                    preferred_channel=None,
                )
                for i, c in enumerate(contact_ids)
            ],
        )
        if updated:
            await self.feed(ClientUpdatedV1(**fields, changed=["sla"]))
        else:
            await self.feed(ClientCreatedV1(**fields))
        return ClientRef(str(cid), [str(c) for c in contact_ids], manager.id if manager else None)

    async def log(
        self, who: dict[str, str], client: ClientRef, *, expect: int = 201, **body: Any
    ) -> dict[str, Any]:
        payload = {
            "client_id": client.id,
            "type": "email",
            "direction": "inbound",
            "occurred_at": iso(self.clock.now()),
            **body,
        }
        response = await self.http.post("/api/v1/interactions", headers=who, json=payload)
        assert response.status_code == expect, response.text
        return dict(response.json())

    async def request(self, who: dict[str, str], request_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/requests/{request_id}", headers=who)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        """The ``data`` of the outbox events of ``event_type``, in order."""
        query = select(outbox.c.payload).where(
            outbox.c.event_type == f"orbit.interactions.{event_type}.v1"
        )
        async with self.runtime.sessions() as session:
            rows = (await session.scalars(query.order_by(outbox.c.seq))).all()
        return [json.loads(p)["data"] for p in rows]

    async def event_types(self) -> list[str]:
        async with self.runtime.sessions() as session:
            rows = (await session.scalars(select(outbox.c.event_type).order_by(outbox.c.seq))).all()
        return [t.removeprefix("orbit.interactions.").removesuffix(".v1") for t in rows]

    def advance(self, **delta: float) -> datetime:
        return self.clock.advance(timedelta(**delta))


@asynccontextmanager
async def api_of(database_url: str) -> AsyncIterator[Api]:
    """The interactions app on ``database_url`` with a fixed clock; workers off (the scans are
    run by the tests, at the clock they set)."""
    clock = FixedClock(NOW)
    app = create_app(
        test_settings(database_url=database_url), clock=clock, migrate_on_start=True, workers=False
    )
    async with running(app) as http:
        yield Api(http, runtime_of(app, "interactions"), clock)


@pytest.fixture
async def api(pg_url: str) -> AsyncIterator[Api]:
    """The interactions app on a fresh PostgreSQL database."""
    async with api_of(pg_url) as api:
        yield api


@pytest.fixture
async def any_api(any_db_url: str) -> AsyncIterator[Api]:
    """The same on SQLite (the embedded mode's database) and on PostgreSQL."""
    async with api_of(any_db_url) as api:
        yield api
