"""Topics on the real broker: like production (deploy/docker-compose.yml), the test broker
does not create topics on demand, so a service must create ``orbit.<service>`` and
``orbit.<service>.dlq`` itself at start, with ORBIT_KAFKA_PARTITIONS partitions."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.errors import UnknownTopicOrPartitionError

from services.clients.app import SPEC as CLIENTS
from shared.app import build_app
from shared.messaging.envelope import dlq_topic_for, topic_for
from tests.support.apps import running, test_settings
from tests.support.kafka import (
    broker_config,
    create_topics,
    read_topic,
    topic_partitions,
    unique_service_name,
)
from tests.support.servers import ROOT
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def production_broker_setting(name: str) -> str:
    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
    kafka = next(
        c
        for c in compose["services"].values()
        if str(c.get("image", "")).startswith("apache/kafka")
    )
    return str(kafka["environment"]["KAFKA_" + name.upper().replace(".", "_")]).lower()


async def test_the_test_broker_creates_no_topic_on_demand_like_production(kafka: str) -> None:
    assert production_broker_setting("auto.create.topics.enable") == "false"
    assert await broker_config(kafka, "auto.create.topics.enable") == "false"

    topic = f"orbit.{unique_service_name()}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka, request_timeout_ms=2000)
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):  # no such topic, and nobody makes one
            await producer.send_and_wait(topic, b"lost", key=b"k")
        assert await topic_partitions(kafka, topic) is None
        await create_topics(kafka, [topic], partitions=2)
        await producer.send_and_wait(topic, b"kept", key=b"k")
    finally:
        await producer.stop()
    assert await topic_partitions(kafka, topic) == 2
    assert [value for _k, value, _p in await read_topic(kafka, topic, expect=1)] == [b"kept"]


@pytest.mark.parametrize("partitions", [1, 2])
async def test_a_service_creates_its_topics_with_the_configured_partitions(
    kafka: str, sqlite_url: str, partitions: int
) -> None:
    service = unique_service_name()
    spec = dataclasses.replace(CLIENTS, name=service, routers=(), jobs=None)
    settings = test_settings(
        kafka_bootstrap=kafka, database_url=sqlite_url, kafka_partitions=partitions
    )
    topics = [topic_for(service), dlq_topic_for(service)]
    async with running(build_app([spec], settings, migrate_on_start=True)):

        async def created() -> bool:
            return all([await topic_partitions(kafka, t) for t in topics])

        await eventually(created, timeout=60, what=f"topics {topics}")
    for topic in topics:
        assert await topic_partitions(kafka, topic) == partitions, topic
