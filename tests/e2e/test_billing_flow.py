"""Billing end to end, in both ways of running.

Embedded (``orbit run``, real process, SQLite, the in-process bus): a manager created in the
clients service reaches billing's replica; an invoice issued with a past due date becomes
overdue through the scheduler (``invoice.overdue`` published, i.e. sent from the outbox); a
payment settles it and ``invoice.paid`` is published.

Production (``orbit serve billing`` on PostgreSQL + Kafka): the same invoice, overdue through
the scheduler, ``invoice.overdue`` and ``invoice.paid`` read back from the ``orbit.billing``
topic. The manager and client are seeded into billing's replica (as the clients events leave
them): on the shared test Kafka other runs' billing processes join the same consumer group
(``orbit.billing``) and may own the partition carrying this run's clients events, so the
clients -> billing path is left to the first flow and the embedded test.

The manager's feed entry for the overdue invoice belongs to the notifications rules (a
separate issue) and is not checked here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from shared.db import create_engine, session_factory
from shared.messaging.envelope import CloudEvent
from tests.support.apps import auth
from tests.support.dates import overdue_issue
from tests.support.kafka import create_topics
from tests.support.net import free_port
from tests.support.processes import ORBIT, base_env, migrate_all, process, wait_healthy
from tests.support.replicas import seed_client, seed_staff
from tests.support.servers import fresh_postgres_database
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
                json=overdue_issue(),
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


# ---------------------------------------------------------------- production mode

TOPIC = "orbit.billing"


class TopicWatch:
    """The records of ``orbit.billing`` from the offsets at the start on (no consumer group:
    assigned partitions, so no rebalance with other runs' consumers), collected in the
    background. The topic is created first when missing (as the bus would: 3 partitions)."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
        )
        self.events: list[CloudEvent] = []

    async def _assign(self) -> None:
        partitions: set[int] | None = None
        while not partitions:
            await self.consumer._client.force_metadata_update()
            partitions = self.consumer.partitions_for_topic(TOPIC)
            if not partitions:
                await asyncio.sleep(0.5)
        tps = [TopicPartition(TOPIC, p) for p in sorted(partitions)]
        self.consumer.assign(tps)
        for tp, offset in (await self.consumer.end_offsets(tps)).items():
            self.consumer.seek(tp, offset)  # explicit: a lazy seek_to_end could skip records

    async def _collect(self) -> None:
        while True:
            for records in (await self.consumer.getmany(timeout_ms=500)).values():
                self.events += [CloudEvent.from_json(r.value or b"{}") for r in records]

    def of(self, event_type: str, invoice_id: str) -> list[dict[str, Any]]:
        return [
            e.data
            for e in self.events
            if e.type == event_type and e.data.get("invoice_id") == invoice_id
        ]

    @classmethod
    @contextlib.asynccontextmanager
    async def on(cls, bootstrap: str) -> AsyncIterator[TopicWatch]:
        await create_topics(bootstrap, [TOPIC])
        watch = cls(bootstrap)
        await watch.consumer.start()
        try:
            await asyncio.wait_for(watch._assign(), timeout=60)
            task = asyncio.create_task(watch._collect())
            try:
                yield watch
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            await watch.consumer.stop()


async def seed_replica(url: str, manager_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """The manager and client in billing's replica, as their clients events leave them."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            await seed_staff(
                session,
                manager_id,
                "Mia Manager",
                at=now,
                email=f"mia.{manager_id.hex[:8]}@example.com",
                timezone="Europe/Berlin",
            )
            await seed_client(
                session,
                client_id,
                "Acme GmbH",
                manager_id,
                at=now,
                timezone="Europe/Berlin",
                country="DE",
            )
            await session.commit()
    finally:
        await engine.dispose()


async def test_overdue_then_paid_in_production_mode(tmp_path: Path, kafka: str) -> None:
    async with fresh_postgres_database("e2e_billing") as db_url:
        env = base_env(ORBIT_KAFKA_BOOTSTRAP=kafka, ORBIT_BILLING_DATABASE_URL=db_url)
        migrate_all(env, "billing")
        manager_id, client_id = uuid.uuid4(), uuid.uuid4()
        await seed_replica(db_url, manager_id, client_id)
        manager = auth(manager_id, "manager")
        port = free_port()
        log = tmp_path / "billing.log"
        with process([ORBIT, "serve", "billing", "--port", str(port)], env, log) as proc:
            url = f"http://127.0.0.1:{port}"
            await wait_healthy(url, proc, log)
            async with (
                TopicWatch.on(kafka) as topic,
                httpx.AsyncClient(base_url=url, timeout=30) as api,
            ):
                draft = await api.post(
                    "/api/v1/invoices",
                    headers=manager,
                    json={
                        "client_id": str(client_id),
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
                assert draft.status_code == 201, draft.text
                invoice_id = draft.json()["id"]
                dates = overdue_issue()
                issued = await api.post(
                    f"/api/v1/invoices/{invoice_id}/issue", headers=manager, json=dates
                )
                assert issued.status_code == 200, issued.text
                number = issued.json()["number"]

                async def overdue() -> list[dict[str, Any]]:
                    return topic.of("orbit.billing.invoice.overdue.v1", invoice_id)

                # generous bounds: other runs share the broker (and their rebalances)
                [event] = await eventually(
                    overdue, timeout=120, interval=0.5, what="invoice.overdue on Kafka"
                )
                assert (
                    event["number"],
                    event["client_id"],
                    event["account_manager_id"],
                    event["balance"],
                    event["due_date"],
                ) == (number, str(client_id), str(manager_id), "1190.00", dates["due_date"])
                issued_events = topic.of("orbit.billing.invoice.issued.v1", invoice_id)
                assert [e["number"] for e in issued_events] == [number]
                got = await api.get(f"/api/v1/invoices/{invoice_id}", headers=manager)
                assert got.json()["status"] == "overdue"
                paid = await api.post(
                    "/api/v1/payments",
                    headers=manager,
                    json={
                        "client_id": str(client_id),
                        "amount": "1190.00",
                        "currency": "EUR",
                        "reference": "SEPA-1",
                    },
                )
                assert paid.status_code == 201, paid.text

                async def settled() -> list[dict[str, Any]]:
                    return topic.of("orbit.billing.invoice.paid.v1", invoice_id)

                [event] = await eventually(
                    settled, timeout=120, interval=0.5, what="invoice.paid on Kafka"
                )
                assert (event["balance"], event["status"]) == ("0.00", "paid")
                got = await api.get(f"/api/v1/invoices/{invoice_id}", headers=manager)
                assert (got.json()["status"], got.json()["balance"]) == ("paid", "0.00")
                # overdue once, however often the scheduler ran in the meantime
                assert len(topic.of("orbit.billing.invoice.overdue.v1", invoice_id)) == 1
