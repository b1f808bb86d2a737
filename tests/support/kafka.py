"""Reading topics of the real Kafka in tests."""

from __future__ import annotations

import asyncio
import random
import string
import time

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from shared.messaging.envelope import CloudEvent


def unique_service_name() -> str:
    """A service name made only of letters (event types allow [a-z]+), unique per test."""
    return "t" + "".join(random.choices(string.ascii_lowercase, k=10))


async def read_topic(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 60.0
) -> list[tuple[str, bytes, int]]:
    """Every record of ``topic`` from the beginning, as (key, value, partition), once at least
    ``expect`` records arrived (then a short grace to catch extra, unexpected ones)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                isolation_level="read_committed")
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
