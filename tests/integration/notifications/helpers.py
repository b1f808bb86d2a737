"""Helpers of the notifications integration tests: the notifications app on a fresh
PostgreSQL database with a fixed clock (``notif`` fixture), events fed through its consumer
as raw CloudEvents (the types and fields of docs/events and the billing contract), its
workers driven round by round."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.notifications.app import create_app
from services.notifications.delivery import DeliveryWorker, delivery_workers
from services.notifications.settings import NotificationsSettings
from services.notifications.store.models import Delivery, Notification
from shared.clock import FixedClock
from shared.messaging.bus import Message
from shared.messaging.envelope import CloudEvent
from shared.runtime import ServiceRuntime
from tests.support.apps import ADMIN, auth, running, runtime_of, test_settings

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday
SLA = {
    "first_response_minutes": 60,
    "contact_cadence_days": 14,
    "meeting_report_hours": 24,
    "calendar": {"timezone": "UTC", "working_hours": "24x7", "holidays_country": None},
}

__all__ = ["ADMIN", "NOW", "Notif", "Person", "any_notif", "notif"]


@dataclass(frozen=True)
class Person:
    id: uuid.UUID
    headers: dict[str, str]
    email: str


@dataclass
class Notif:
    http: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock
    _workers: dict[str, DeliveryWorker] = field(default_factory=dict)

    async def deliver(
        self, event_type: str, data: dict[str, Any], *, event_id: uuid.UUID | None = None
    ) -> CloudEvent:
        """An event through the service's consumer (inbox, subscribers, one commit)."""
        envelope = CloudEvent(
            id=event_id or uuid.uuid4(),
            source=f"orbit/{event_type.split('.')[1]}",
            type=event_type,
            subject=str(data.get("client_id") or data.get("staff_id")),
            time=self.clock.now(),
            data=data,
        )
        await self.runtime.consumer.process(
            Message(f"orbit.{event_type.split('.')[1]}", envelope.subject or "", envelope.to_json())
        )
        return envelope

    async def staff(
        self,
        name: str,
        role: str = "manager",
        head: Person | None = None,
        locale: str | None = None,
        timezone: str = "UTC",
        title: str | None = None,
    ) -> Person:
        staff_id = uuid.uuid4()
        email = f"{name.lower().replace(' ', '.')}.{staff_id.hex[:6]}@orbit.example"
        await self.deliver(
            "orbit.clients.staff.created.v1",
            {
                "staff_id": str(staff_id),
                "name": name,
                "email": email,
                "role": role,
                "department": "sales",
                "head_id": str(head.id) if head else None,
                "timezone": timezone,
                "locale": locale,
                "active": True,
                "title": title,
            },
        )
        return Person(staff_id, auth(staff_id, role), email)

    async def client(
        self,
        name: str,
        manager: Person,
        *,
        contacts: list[dict[str, Any]] = (),  # type: ignore[assignment]
        locale: str | None = None,
        timezone: str = "UTC",
        greetings: bool = False,
        client_id: uuid.UUID | None = None,  # given: an update of that client
    ) -> uuid.UUID:
        change = "updated" if client_id else "created"
        client_id = client_id or uuid.uuid4()
        await self.deliver(
            f"orbit.clients.client.{change}.v1",
            {
                "client_id": str(client_id),
                "name": name,
                "kind": "b2b",
                "tier": "key",
                "status": "active",
                "account_manager_id": str(manager.id),
                "account_manager_department": "sales",
                "head_id": None,
                "segment": None,
                "tags": [],
                "country": None,
                "timezone": timezone,
                "sla": SLA,
                "created_at": NOW.isoformat(),
                "updated_at": NOW.isoformat(),
                "contacts": [
                    {
                        "contact_id": c["id"],
                        "name": c["name"],
                        "email": c.get("email"),
                        "phone": None,
                        "roles": c.get("roles", ["billing"]),
                        "preferred_channel": None,
                        "birthday": c.get("birthday"),
                        **({"locale": c["locale"]} if "locale" in c else {}),
                    }
                    for c in contacts
                ],
                "locale": locale,
                "greetings": greetings,
            },
        )
        return client_id

    def workers(self) -> dict[str, DeliveryWorker]:
        if not self._workers:
            delivery_workers(self.runtime)
            self._workers = self.runtime.delivery_workers  # type: ignore[attr-defined]
        return self._workers

    async def feed(self, person: Person) -> list[dict[str, Any]]:
        response = await self.http.get("/api/v1/notifications", headers=person.headers)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def deliveries(self, **where: Any) -> list[Delivery]:
        async with self.runtime.reads() as session:
            stmt = select(Delivery).order_by(Delivery.created_at, Delivery.id)
            for name, value in where.items():
                stmt = stmt.where(getattr(Delivery, name) == value)
            return list(await session.scalars(stmt))

    async def notifications(self) -> list[Notification]:
        async with self.runtime.reads() as session:
            return list(
                await session.scalars(select(Notification).order_by(Notification.created_at))
            )


async def make_notif(url: str, **settings: Any) -> AsyncIterator[Notif]:
    # the scorecard's scheduled reports (email deliveries to heads) are not these tests'
    settings = {"notifications_report_periods": [], **settings}
    clock = FixedClock(NOW)
    app = create_app(
        NotificationsSettings(**(test_settings(database_url=url).model_dump() | settings)),
        clock=clock,
        migrate_on_start=True,
        workers=False,
    )
    async with running(app) as http:
        yield Notif(http, runtime_of(app, "notifications"), clock)


@pytest.fixture
async def notif(pg_url: str) -> AsyncIterator[Notif]:
    async for value in make_notif(pg_url):
        yield value


@pytest.fixture
async def any_notif(any_db_url: str) -> AsyncIterator[Notif]:
    """The app on SQLite (the embedded mode's database) and on PostgreSQL."""
    async for value in make_notif(any_db_url):
        yield value


def sla_breached(
    client_id: uuid.UUID, manager: Person, head: Person | None = None
) -> dict[str, Any]:
    request_id = uuid.uuid4()
    return {
        "client_id": str(client_id),
        "client_name": "Initech",
        "account_manager_id": str(manager.id),
        "account_manager_department": "sales",
        "head_id": str(head.id) if head else None,
        "request_id": str(request_id),
        "interaction_id": str(uuid.uuid4()),
        "interaction_type": "email",
        "subject": "Where is my report?",
        "contact_ids": [],
        "status": "breached",
        "opened_at": NOW.isoformat(),
        "due_at": NOW.isoformat(),
        "first_response_minutes": 60,
        "breached": True,
        "answered_at": None,
        "acknowledged_at": None,
        "promised_by": None,
        "resolved_at": None,
        "on_hold_minutes": 0,
    }


def invoice_data(
    client_id: uuid.UUID, manager: Person, head: Person | None = None, **more: Any
) -> dict[str, Any]:
    return {
        "client_id": str(client_id),
        "client_name": "Initech",
        "account_manager_id": str(manager.id),
        "head_id": str(head.id) if head else None,
        "invoice_id": str(uuid.uuid4()),
        "number": "2026-000042",
        "contract_id": None,
        "currency": "EUR",
        "subtotal": "1250.00",
        "tax": "250.00",
        "total": "1500.00",
        "amount_paid": "265.50",
        "balance": "1234.50",
        "issue_date": "2026-10-02",
        "due_date": "2026-11-01",
        "status": "overdue",
        **more,
    }
