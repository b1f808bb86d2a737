"""Kafka goes down while an inbound request opens: the request is accepted, the scans keep
running and write their alerts to the outbox, the service restarts while Kafka is still
down; Kafka comes back: the request's events and its breach alert arrive once, in order.
A second request opened during the outage breaches after Kafka returns and is alerted too.

Runs its own broker (deploy/local/kafka.sh instance "interactions-outage"; not the shared
"outage" one), so stopping it disturbs no one; the broker is stopped at the end.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta

import pytest

from services.interactions.app import create_app
from shared.clock import FixedClock
from shared.messaging.envelope import topic_for
from tests.integration.interactions.helpers import NOW, Api
from tests.support.apps import running, runtime_of, test_settings
from tests.support.kafka import create_topics, events_of, read_topic
from tests.support.servers import kafka_instance
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

BROKER = "interactions-outage"
TOPIC = topic_for("interactions")


@pytest.fixture
def outage_broker() -> Iterator[str]:
    kafka_instance("reset", BROKER)  # an empty broker: the topic holds this test's events only
    bootstrap = kafka_instance("start", BROKER)
    try:
        yield bootstrap
    finally:
        kafka_instance("stop", BROKER)


def pending(api: Api) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return await api.runtime.relay.pending() == 0

    return probe


async def test_a_request_opened_while_kafka_is_down_gets_its_breach_alert(
    pg_url: str, outage_broker: str
) -> None:
    await create_topics(outage_broker, [topic_for("clients")])  # what the consumer reads
    clock = FixedClock(NOW)
    settings = test_settings(kafka_bootstrap=outage_broker, database_url=pg_url)

    # Kafka up: the client is known (its replica fed as the consumer would), nothing pending.
    app = create_app(settings, clock=clock, migrate_on_start=True)
    async with running(app) as http:
        api = Api(http, runtime_of(app, "interactions"), clock)
        mia = await api.staff("Mia")
        acme = await api.client("Acme", mia, first_response_minutes=60, cadence_days=30)
        await eventually(pending(api), timeout=60, what="nothing pending with Kafka up")

        kafka_instance("stop", BROKER)
        # Kafka down: a request opens; the scan (the service's own scheduler) breaches it.
        first = await api.log(mia.headers, acme, requires_response=True)
        api.advance(days=2)
        await eventually(
            lambda: _has(api, "sla.breached", 1), timeout=30, what="breach written to the outbox"
        )
        assert await api.runtime.relay.pending() == 3  # logged, opened, breached
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["bus"] is False

    # A restart while Kafka is still down loses nothing; a second request opens.
    app = create_app(settings, clock=clock)
    async with running(app) as http:
        api = Api(http, runtime_of(app, "interactions"), clock)
        second = await api.log(mia.headers, acme, requires_response=True)
        assert await api.runtime.relay.pending() == 5
        assert kafka_instance("start", BROKER) == outage_broker
        await eventually(
            pending(api), timeout=120, what="the backlog published after Kafka came back"
        )
        assert (await http.get("/readyz")).status_code == 200
        # Kafka up again: the second request falls due and is alerted by the scheduler.
        api.advance(days=2)
        await eventually(
            lambda: _has(api, "sla.breached", 2), timeout=30, what="second breach written"
        )
        await eventually(pending(api), timeout=60, what="second breach published")

    records = await read_topic(outage_broker, TOPIC, expect=6)
    events = events_of(records)
    assert len(events) == len({e.id for e in events}) == 6, "each event exactly once"
    kinds = [
        (e.type.removeprefix("orbit.interactions.").removesuffix(".v1"), e.data.get("request_id"))
        for e in events
    ]
    assert [k for k, _ in kinds] == [
        "interaction.logged",
        "request.opened",
        "sla.breached",
        "interaction.logged",
        "request.opened",
        "sla.breached",
    ]  # one client, one key: one partition, in the order written
    breached = [r for k, r in kinds if k == "sla.breached"]
    assert breached == [first["request_id"], second["request_id"]]
    assert {key for key, _value, _p in records} == {acme.id}
    assert events[2].data["account_manager_id"] == mia.id
    assert events[2].data["due_at"] is not None
    assert events[2].time >= NOW + timedelta(days=2)


async def _has(api: Api, event_type: str, count: int) -> bool:
    return len(await api.events(event_type)) >= count
