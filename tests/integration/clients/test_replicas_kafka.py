"""The clients service's events reach the other services' replicas over the real Kafka.

The four services run in-process, each with its own fresh PostgreSQL database, talking only
through the broker. A client is created for manager A, given a contact, then reassigned to
manager B with a reason: the interactions, billing and notifications replicas follow, B's
feed says "New client assigned", A's "Client reassigned", and B (not A) has the client in
their access scope. A status change and a staff deactivation reach the replicas as well.

Isolation: the services use the topics ``orbit.<service>`` and the consumer groups
``orbit.<service>``, shared with any other run on the same broker. A group member of another
run could be given the partitions holding this test's events, and a group with committed
offsets would skip nothing of ours but a fresh one would replay every older run's events.
So the bus here prefixes every topic and consumer group with a name unique to this test;
fresh groups start at the earliest offset (KafkaConsumerWorker: auto_offset_reset=earliest)
of fresh topics, so each consumer sees exactly this test's events, including the ones
published before it joined.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI
from sqlalchemy import select

from services.billing.app import create_app as billing_app
from services.clients.app import create_app as clients_app
from services.interactions.app import create_app as interactions_app
from services.notifications.app import create_app as notifications_app
from shared.auth import Caller, Role
from shared.messaging.bus import BatchProcessor, Message, Processor, Worker
from shared.messaging.kafka import KafkaBus
from shared.replicas import client_replica, client_scope, staff_replica
from shared.runtime import ServiceRuntime
from tests.support.apps import ADMIN, auth, running, runtime_of, test_settings
from tests.support.kafka import unique_service_name
from tests.support.servers import fresh_postgres_database
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

SERVICES = {
    "clients": clients_app,
    "interactions": interactions_app,
    "billing": billing_app,
    "notifications": notifications_app,
}
REPLICAS = ("interactions", "billing", "notifications")
TIMEOUT = 60.0
log = logging.getLogger(__name__)


class IsolatedKafkaBus:
    """The real KafkaBus, with this test's prefix on every topic and consumer group."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.kafka = KafkaBus(bootstrap)
        self.prefix = prefix

    def _name(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    async def start(self) -> None:
        await self.kafka.start()

    async def stop(self) -> None:
        await self.kafka.stop()

    async def ready(self) -> bool:
        return await self.kafka.ready()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        await self.kafka.ensure_topics([self._name(t) for t in topics])

    async def publish(self, messages: Sequence[Message]) -> None:
        await self.kafka.publish(
            [dataclasses.replace(m, topic=self._name(m.topic)) for m in messages]
        )

    def subscribe(
        self,
        group: str,
        topics: Sequence[str],
        process: Processor,
        *,
        process_batch: BatchProcessor | None = None,
    ) -> Worker:
        return self.kafka.subscribe(
            self._name(group),
            [self._name(t) for t in topics],
            process,
            process_batch=process_batch,
        )


@dataclasses.dataclass
class System:
    http: dict[str, httpx.AsyncClient]
    runtimes: dict[str, ServiceRuntime]

    @property
    def clients(self) -> httpx.AsyncClient:
        return self.http["clients"]

    async def replica(self, service: str, client_id: str) -> dict[str, Any] | None:
        async with self.runtimes[service].sessions() as session:
            row = (
                (
                    await session.execute(
                        select(client_replica).where(client_replica.c.id == uuid.UUID(client_id))
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def staff_replica(self, service: str, staff_id: str) -> dict[str, Any] | None:
        async with self.runtimes[service].sessions() as session:
            row = (
                (
                    await session.execute(
                        select(staff_replica).where(staff_replica.c.id == uuid.UUID(staff_id))
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    async def in_scope(self, service: str, staff_id: str, role: Role) -> set[str]:
        """The client ids ``staff_id`` may see in ``service`` (its replica-based scope)."""
        caller = Caller(uuid.UUID(staff_id), role)
        async with self.runtimes[service].sessions() as session:
            found = await session.scalars(
                select(client_replica.c.id).where(client_scope(caller, client_replica.c.id))
            )
            return {str(i) for i in found}

    async def all_replicas(self, client_id: str, **expected: Any) -> bool:
        """Whether every replica of the client holds ``expected`` (by column)."""
        for service in REPLICAS:
            row = await self.replica(service, client_id)
            if row is None or any(row[k] != v for k, v in expected.items()):
                return False
        return True

    async def feed(self, staff_id: str) -> list[dict[str, Any]] | None:
        """The notifications feed of a manager (None while their token is refused)."""
        response = await self.http["notifications"].get(
            "/api/v1/notifications", headers=auth(staff_id, "manager")
        )
        if response.status_code == 401:
            return None
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


@asynccontextmanager
async def four_services(kafka: str) -> AsyncIterator[System]:
    prefix = unique_service_name()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(drop_topics, kafka, prefix)  # last out: after the apps stop
        http: dict[str, httpx.AsyncClient] = {}
        apps: dict[str, FastAPI] = {}
        for name, factory in SERVICES.items():
            url = await stack.enter_async_context(fresh_postgres_database(f"repl_{name[:5]}"))
            settings = test_settings(database_url=url, kafka_bootstrap=kafka)
            apps[name] = factory(
                settings, bus=IsolatedKafkaBus(kafka, prefix), migrate_on_start=True
            )
            http[name] = await stack.enter_async_context(running(apps[name]))
        yield System(http, {name: runtime_of(app, name) for name, app in apps.items()})


async def drop_topics(kafka: str, prefix: str) -> None:
    """Best effort: leave no topics of this test on the shared broker (Kafka drops the
    consumer groups' offsets of deleted topics; the empty groups expire by themselves)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka, request_timeout_ms=10000)
    try:
        await admin.start()
        topics = [t for t in await admin.list_topics() if t.startswith(f"{prefix}.")]
        if topics:
            await admin.delete_topics(topics)
    except Exception as exc:  # never fail the test over the clean-up
        log.warning("could not drop the topics of %s: %r", prefix, exc)
    finally:
        await admin.close()


async def create_manager(api: httpx.AsyncClient, name: str) -> str:
    response = await api.post(
        "/api/v1/staff",
        headers=ADMIN,
        json={
            "name": name,
            "email": f"{uuid.uuid4().hex[:10]}@replicas.example",
            "role": "manager",
            "department": "east",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_reassignment_status_and_deactivation_reach_the_replicas(kafka: str) -> None:
    async with four_services(kafka) as system:
        api = system.clients
        anna = await create_manager(api, "Anna A")
        ben = await create_manager(api, "Ben B")
        name = f"Replica GmbH {uuid.uuid4().hex[:6]}"
        response = await api.post(
            "/api/v1/clients",
            headers=ADMIN,
            json={
                "name": name,
                "account_manager_id": anna,
                "tier": "key",
                "country": "DE",
                "timezone": "Europe/Berlin",
            },
        )
        assert response.status_code == 201, response.text
        client_id = str(response.json()["id"])
        response = await api.post(
            f"/api/v1/clients/{client_id}/contacts",
            headers=auth(anna, "manager"),
            json={
                "name": "Carla Contact",
                "email": "carla@replica.example",
                "roles": ["billing"],
            },
        )
        assert response.status_code == 201, response.text
        contact_id = response.json()["id"]

        # Wait until every replica has the client with its contact: the reassignment below
        # is then an update (not the first event a replica sees of this client).
        async def with_contact() -> bool:
            for service in REPLICAS:
                row = await system.replica(service, client_id)
                if row is None or [c["id"] for c in row["contacts"]] != [contact_id]:
                    return False
            return True

        await eventually(with_contact, timeout=TIMEOUT, what="the client and its contact")
        assert await system.all_replicas(
            client_id,
            account_manager_id=uuid.UUID(anna),
            status="prospect",
            tier="key",
            country="DE",
        )
        replica = await system.replica("billing", client_id)
        assert replica is not None
        assert replica["contacts"][0]["email"] == "carla@replica.example"
        assert replica["contacts"][0]["roles"] == ["billing"]
        assert replica["sla"]["calendar"]["timezone"] == "Europe/Berlin"

        reason = "Anna moves to the enterprise team"
        response = await api.post(
            f"/api/v1/clients/{client_id}/assign",
            headers=ADMIN,
            json={"account_manager_id": ben, "reason": reason},
        )
        assert response.status_code == 200, response.text
        assert response.json()["account_manager_id"] == ben

        await eventually(
            lambda: system.all_replicas(client_id, account_manager_id=uuid.UUID(ben)),
            timeout=TIMEOUT,
            what="account_manager_id == B in every replica",
        )
        for service in REPLICAS:  # the contact survived the client's update
            row = await system.replica(service, client_id)
            assert row is not None and [c["id"] for c in row["contacts"]] == [contact_id]
            # B's scope (as interactions and billing filter with it) has the client, A's not
            assert client_id in await system.in_scope(service, ben, Role.MANAGER), service
            assert client_id not in await system.in_scope(service, anna, Role.MANAGER), service

        async def titles(staff_id: str, wanted: str) -> list[dict[str, Any]]:
            items = await system.feed(staff_id) or []
            return [n for n in items if n["title"] == wanted]

        new_for_ben = await eventually(
            lambda: titles(ben, f"New client assigned: {name}"),
            timeout=TIMEOUT,
            what="B's 'New client assigned'",
        )
        moved_for_anna = await eventually(
            lambda: titles(anna, f"Client reassigned: {name}"),
            timeout=TIMEOUT,
            what="A's 'Client reassigned'",
        )
        assert len(new_for_ben) == len(moved_for_anna) == 1
        for notification in (new_for_ben[0], moved_for_anna[0]):
            assert notification["client_id"] == client_id
            assert reason in notification["body"]
            assert notification["type"] == "orbit.clients.client.assigned.v1"
        # the event is the same one, seen from both sides; A still has the creation notice
        assert new_for_ben[0]["event_id"] == moved_for_anna[0]["event_id"]
        assert [n["title"] for n in await system.feed(anna) or []] == [
            f"Client reassigned: {name}",
            f"New client assigned: {name}",
        ]
        assert [n["title"] for n in await system.feed(ben) or []] == [
            f"New client assigned: {name}",
        ]

        # a status change reaches the replicas
        response = await api.patch(
            f"/api/v1/clients/{client_id}", headers=auth(ben, "manager"), json={"status": "active"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "active"
        await eventually(
            lambda: system.all_replicas(
                client_id, status="active", account_manager_id=uuid.UUID(ben)
            ),
            timeout=TIMEOUT,
            what="status == active in every replica",
        )

        # a deactivation too: the member's token stops working in notifications
        dora = await create_manager(api, "Dora Departing")
        await eventually(
            lambda: _accepted(system, dora),
            timeout=TIMEOUT,
            what="D's token accepted by notifications",
        )
        response = await api.patch(f"/api/v1/staff/{dora}", headers=ADMIN, json={"active": False})
        assert response.status_code == 200, response.text

        async def deactivated_everywhere() -> bool:
            for service in REPLICAS:
                row = await system.staff_replica(service, dora)
                if row is None or row["active"] is not False:
                    return False
            return True

        await eventually(
            deactivated_everywhere,
            timeout=TIMEOUT,
            what="staff_replica.active false in every replica",
        )
        refused = await system.http["notifications"].get(
            "/api/v1/notifications", headers=auth(dora, "manager")
        )
        assert refused.status_code == 401, refused.text
        # the others are unaffected
        assert await system.feed(ben) is not None


async def _accepted(system: System, staff_id: str) -> bool:
    return await system.feed(staff_id) is not None
