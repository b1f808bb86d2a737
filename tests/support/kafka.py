"""The real Kafka in tests: unique names, topics (created explicitly: the test broker, like
production, does not create topics on demand), reading them, a group's committed offsets."""

from __future__ import annotations

import asyncio
import random
import string
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.structs import TopicPartition

from shared.messaging.envelope import CloudEvent


def unique_service_name() -> str:
    """A service name made only of letters (event types allow [a-z]+), unique per test."""
    return "t" + "".join(random.choices(string.ascii_lowercase, k=10))


TOPIC_ALREADY_EXISTS = 36


@asynccontextmanager
async def _admin(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def create_topics(bootstrap: str, topics: Sequence[str], *, partitions: int = 3) -> None:
    """Create ``topics`` (an existing one is left as it is). A test that produces to a topic
    of its own, not through KafkaBus (which creates the topics it publishes to), needs this."""
    async with _admin(bootstrap) as admin:
        response = await admin.create_topics([NewTopic(t, partitions, 1) for t in topics])
    for topic, code, *rest in response.topic_errors:
        assert code in (0, TOPIC_ALREADY_EXISTS), f"cannot create {topic}: {code} {rest}"


async def topic_partitions(bootstrap: str, topic: str) -> int | None:
    """How many partitions ``topic`` has; None when it does not exist."""
    async with _admin(bootstrap) as admin:
        (described,) = await admin.describe_topics([topic])
    if described["error_code"]:
        return None
    return len(described["partitions"])


async def broker_config(bootstrap: str, name: str) -> str:
    """One setting of the (single) broker, as it runs."""
    async with _admin(bootstrap) as admin:
        (broker,) = (await admin.describe_cluster())["brokers"]
        (response,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.BROKER, str(broker["node_id"]), {name: None})]
        )
    (resource,) = response.to_object()["resources"]
    (entry,) = resource["config_entries"]
    return str(entry["config_value"])


async def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The offsets ``group`` committed, per partition (the next record it will read)."""
    async with _admin(bootstrap) as admin:
        offsets = await admin.list_consumer_group_offsets(group)
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


async def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 60.0
) -> list[tuple[str, bytes, int]]:
    """Every record of ``topic`` from the beginning, as (key, value, partition), once at least
    ``expect`` records arrived (then a short grace to catch extra, unexpected ones)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        partitions: set[int] | None = None
        while time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                break
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.2)
        assert partitions, f"topic {topic} does not exist"
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[tuple[str, bytes, int]] = []
        grace_until: float | None = None
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            for batch in batches.values():
                records += [((r.key or b"").decode(), r.value or b"", r.partition) for r in batch]
            if len(records) >= expect:
                grace_until = grace_until or time.monotonic() + 1.0
                if time.monotonic() >= grace_until:
                    break
        return records
    finally:
        await consumer.stop()


def events_of(records: list[tuple[str, bytes, int]]) -> list[CloudEvent]:
    return [CloudEvent.from_json(value) for _key, value, _p in records]
