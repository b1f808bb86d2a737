"""The notifications feed through the ASGI app on a real PostgreSQL database: the feed is fed
by clients events through the service's own consumer; a user reads and acknowledges only their
own notifications (anyone else's answers 404), a second read or ack changes nothing, and
``?unread=`` filters the feed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.clients.events import (
    CalendarV1,
    ClientAssignedV1,
    ClientCreatedV1,
    SlaV1,
    StaffCreatedV1,
)
from services.notifications.app import create_app
from shared.clock import FixedClock
from shared.messaging.bus import Message
from shared.messaging.envelope import Event, topic_for
from shared.runtime import ServiceRuntime
from tests.support.apps import ADMIN as ADMIN_HEADERS
from tests.support.apps import ADMIN_ID, auth, running, runtime_of, test_settings

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SLA = SlaV1(
    first_response_minutes=60,
    contact_cadence_days=3,
    meeting_report_hours=24,
    calendar=CalendarV1(timezone="UTC", working_hours="24x7", holidays_country=None),
)


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    headers: dict[str, str]


ADMIN = User(ADMIN_ID, ADMIN_HEADERS)  # an admin with no staff record: no feed entries of theirs


@dataclass
class Feed:
    http: httpx.AsyncClient
    runtime: ServiceRuntime
    clock: FixedClock

    async def deliver(self, event: Event) -> None:
        """A clients event, through the notifications consumer (inbox, handler, commit)."""
        envelope = event.to_cloudevent(time=self.clock.now())
        await self.runtime.consumer.process(
            Message(topic_for(event.service()), event.key(), envelope.to_json())
        )

    async def manager(self, name: str) -> User:
        """A manager the notifications service knows (its replica took staff.created)."""
        staff_id = uuid.uuid4()
        await self.deliver(
            StaffCreatedV1(
                staff_id=staff_id,
                name=name,
                email=f"{name.lower()}@orbit.example",
                role="manager",
                department=None,
                head_id=None,
                timezone="UTC",
                locale=None,
                active=True,
            )
        )
        return User(staff_id, auth(staff_id, "manager"))

    async def new_client(self, name: str, manager: User) -> uuid.UUID:
        client_id = uuid.uuid4()
        await self.deliver(ClientCreatedV1(**self._client(client_id, name, manager)))
        return client_id

    async def reassign(self, client_id: uuid.UUID, name: str, old: User, new: User) -> None:
        await self.deliver(
            ClientAssignedV1(
                **self._client(client_id, name, new),
                from_manager_id=old.id,
                to_manager_id=new.id,
                reason="rebalancing",
            )
        )

    def _client(self, client_id: uuid.UUID, name: str, manager: User) -> dict[str, Any]:
        return {
            "client_id": client_id,
            "name": name,
            "kind": "b2b",
            "tier": "key",
            "status": "active",
            "account_manager_id": manager.id,
            "account_manager_department": None,
            "head_id": None,
            "segment": None,
            "tags": [],
            "country": None,
            "timezone": "UTC",
            "sla": SLA,
            "created_at": self.clock.now(),
            "updated_at": self.clock.now(),
        }

    async def items(self, user: User, **params: Any) -> list[dict[str, Any]]:
        response = await self.http.get("/api/v1/notifications", headers=user.headers, params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


@pytest.fixture
async def feed(pg_url: str) -> AsyncIterator[Feed]:
    clock = FixedClock(NOW)
    app = create_app(test_settings(database_url=pg_url), clock=clock, migrate_on_start=True)
    async with running(app) as http:
        yield Feed(http, runtime_of(app, "notifications"), clock)


def at(response: httpx.Response, field: str) -> datetime | None:
    value = response.json()[field]
    return None if value is None else datetime.fromisoformat(value)


async def test_the_feed_is_the_callers_own_and_unread_filters_it(feed: Feed) -> None:
    ann, bob = await feed.manager("Ann"), await feed.manager("Bob")
    acme = await feed.new_client("Acme", ann)
    feed.clock.advance(timedelta(minutes=5))
    await feed.reassign(acme, "Acme", ann, bob)

    ann_items = await feed.items(ann)
    assert [n["title"] for n in ann_items] == [
        "Client reassigned: Acme",
        "New client assigned: Acme",
    ]  # newest first
    assert all(n["read_at"] is None and n["acked_at"] is None for n in ann_items)
    assert [n["title"] for n in await feed.items(bob)] == ["New client assigned: Acme"]
    assert await feed.items(ADMIN) == []

    older = ann_items[1]["id"]
    response = await feed.http.post(f"/api/v1/notifications/{older}/read", headers=ann.headers)
    assert response.status_code == 200, response.text
    assert at(response, "read_at") == feed.clock.now() and response.json()["acked_at"] is None

    assert [n["id"] for n in await feed.items(ann, unread="true")] == [ann_items[0]["id"]]
    assert [n["id"] for n in await feed.items(ann, unread="false")] == [older]
    assert len(await feed.items(ann)) == 2

    # pages of the feed, newest first, with the cursor
    first = await feed.http.get("/api/v1/notifications", headers=ann.headers, params={"limit": 1})
    assert [n["id"] for n in first.json()["items"]] == [ann_items[0]["id"]]
    cursor = first.json()["next_cursor"]
    second = await feed.http.get(
        "/api/v1/notifications", headers=ann.headers, params={"limit": 1, "cursor": cursor}
    )
    assert [n["id"] for n in second.json()["items"]] == [older]
    assert second.json()["next_cursor"] is None


async def test_another_users_notification_is_not_found(feed: Feed) -> None:
    ann, bob = await feed.manager("Ann"), await feed.manager("Bob")
    await feed.new_client("Acme", ann)
    (mine,) = await feed.items(ann)

    for action in ("read", "ack"):
        for who, notification in ((bob, mine["id"]), (ADMIN, mine["id"]), (ann, uuid.uuid4())):
            response = await feed.http.post(
                f"/api/v1/notifications/{notification}/{action}", headers=who.headers
            )
            assert response.status_code == 404, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
        unauthenticated = await feed.http.post(f"/api/v1/notifications/{mine['id']}/{action}")
        assert unauthenticated.status_code == 401

    (untouched,) = await feed.items(ann)
    assert untouched == mine


async def test_read_and_ack_twice_keep_the_first_times(feed: Feed) -> None:
    ann = await feed.manager("Ann")
    await feed.new_client("Acme", ann)
    feed.clock.advance(timedelta(seconds=1))
    await feed.new_client("Globex", ann)
    globex, acme = await feed.items(ann)  # newest first
    assert "Globex" in globex["title"] and "Acme" in acme["title"]
    url = f"/api/v1/notifications/{acme['id']}"

    feed.clock.advance(timedelta(minutes=1))
    read = await feed.http.post(f"{url}/read", headers=ann.headers)
    read_at = feed.clock.now()
    feed.clock.advance(timedelta(minutes=1))
    again = await feed.http.post(f"{url}/read", headers=ann.headers)
    assert again.status_code == 200 and again.json() == read.json()
    assert at(again, "read_at") == read_at

    # ack: acknowledged now, the earlier read time stays; a second ack changes nothing
    acked = await feed.http.post(f"{url}/ack", headers=ann.headers)
    assert acked.status_code == 200, acked.text
    acked_at = feed.clock.now()
    assert at(acked, "acked_at") == acked_at and at(acked, "read_at") == read_at
    feed.clock.advance(timedelta(minutes=1))
    twice = await feed.http.post(f"{url}/ack", headers=ann.headers)
    assert twice.status_code == 200 and twice.json() == acked.json()
    after_read = await feed.http.post(f"{url}/read", headers=ann.headers)
    assert after_read.json() == acked.json()

    # an unread notification acknowledged is read at the same time
    direct = await feed.http.post(f"/api/v1/notifications/{globex['id']}/ack", headers=ann.headers)
    assert at(direct, "acked_at") == at(direct, "read_at") == feed.clock.now()
    assert await feed.items(ann, unread="true") == []

    stored = {n["id"]: n for n in await feed.items(ann)}
    assert stored[acme["id"]] == acked.json() and stored[globex["id"]] == direct.json()
