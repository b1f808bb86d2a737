"""Kafka goes down: the API keeps accepting writes and the outbox keeps the events; the relay
is restarted; Kafka comes back: every event arrives once, in order per key.

Runs its own broker (deploy/local/kafka.sh instance "outage"), so stopping it disturbs no one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

import pytest

from services.clients.app import create_app
from shared.messaging.envelope import topic_for
from tests.support.apps import ADMIN, running, runtime_of, test_settings
from tests.support.kafka import events_of, read_topic
from tests.support.servers import kafka_instance
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def outage_broker() -> str:
    kafka_instance("reset", "outage")  # an empty broker: the topic holds this test's events only
    bootstrap = kafka_instance("start", "outage")
    yield bootstrap
    kafka_instance("stop", "outage")


async def create_manager(api, n: int) -> str:  # type: ignore[no-untyped-def]
    response = await api.post(
        "/api/v1/staff",
        headers=ADMIN,
        json={
            "name": f"Manager {n}",
            "email": f"m{n}.{uuid.uuid4().hex[:6]}@example.com",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_writes_survive_a_kafka_outage_and_arrive_once(
    pg_url: str, outage_broker: str
) -> None:
    settings = test_settings(kafka_bootstrap=outage_broker, database_url=pg_url)
    expected: list[str] = []
    # Kafka up: a first event goes through.
    app = create_app(settings, migrate_on_start=True)
    async with running(app) as api:
        expected.append(await create_manager(api, 0))
        runtime = runtime_of(app, "clients")
        await eventually(lambda: _zero(runtime.relay.pending), what="first event published")

        kafka_instance("stop", "outage")
        for n in range(1, 6):  # Kafka down: the API keeps accepting writes
            expected.append(await create_manager(api, n))
        assert await runtime.relay.pending() == 5
        ready = await api.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["bus"] is False

    # A restart of the service (and its relay) while Kafka is still down loses nothing.
    app = create_app(settings)
    async with running(app) as api:
        runtime = runtime_of(app, "clients")
        expected.append(await create_manager(api, 6))
        assert await runtime.relay.pending() == 6
        assert kafka_instance("start", "outage") == outage_broker
        await eventually(
            lambda: _zero(runtime.relay.pending),
            timeout=120,
            what="backlog published after Kafka came back",
        )
        assert (await api.get("/readyz")).status_code == 200

    records = await read_topic(outage_broker, topic_for("clients"), expect=7)
    events = events_of(records)
    staff_ids = [e.data["staff_id"] for e in events]
    names = [e.data["name"] for e in events]
    assert sorted(staff_ids) == sorted(expected), f"every event arrives exactly once: {names}"
    assert len(events) == len({e.id for e in events}) == 7
    # Within a partition (so for every key) the events keep the order they were written in.
    per_partition: dict[int, list[str]] = defaultdict(list)
    for (_key, _value, partition), e in zip(records, events, strict=True):
        per_partition[partition].append(e.data["name"])
    assert all(names == sorted(names) for names in per_partition.values())


async def _zero(probe) -> bool:  # type: ignore[no-untyped-def]
    return (await probe()) == 0
