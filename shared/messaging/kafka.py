"""Apache Kafka behind the bus interface (aiokafka >= 0.14, Kafka 4.x).

The producer is idempotent with ``acks=all``; it is started lazily so that a service starts
and accepts writes while Kafka is down (the outbox keeps the events until it is back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from shared.messaging.bus import BatchProcessor, Message, Processor, Worker
from shared.metrics import CONSUMER_LAG

log = logging.getLogger("orbit.kafka")
TOPIC_ALREADY_EXISTS = 36


class KafkaBus:
    # The relay's producer: idempotent, every replica acknowledges (the benchmark's bare
    # producer uses the same settings, tests/bench/notifications.py).
    PRODUCER: dict[str, Any] = {
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "request_timeout_ms": 15000,
        "retry_backoff_ms": 200,
    }

    def __init__(
        self,
        bootstrap: str,
        *,
        partitions: int = 3,
        replication: int = 1,
        consumer_batch_size: int = 50,
    ) -> None:
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.replication = replication
        # At most this many records of a partition in one ``process_batch`` (one transaction
        # of the consumer; ``ORBIT_CONSUMER_BATCH_SIZE``); 1: a transaction per event.
        self.consumer_batch_size = consumer_batch_size
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self._known_topics: set[str] = set()

    async def start(self) -> None:
        """Nothing connects here: the first publish (or ensure_topics) does."""

    async def stop(self) -> None:
        if self._producer is None:
            return
        producer, self._producer = self._producer, None
        try:
            await asyncio.wait_for(asyncio.shield(_graceful_stop(producer)), 5)
        except (TimeoutError, Exception):
            # The broker is gone: the idempotent producer would retry its batches forever,
            # and a later producer (after a restart) sends the same outbox rows again. Drop
            # them here; they are still unsent in the outbox.
            _abort(producer)
            with contextlib.suppress(Exception):
                await producer._sender.close()
                await producer.client.close()

    async def _get_producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, **self.PRODUCER)
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def publish(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        await self.ensure_topics(sorted({m.topic for m in messages}))
        producer = await self._get_producer()
        # A failed future means aiokafka gave the batch up (it expired): it will not be sent
        # later behind our back, and the relay sends the rows again. The producer is kept: it
        # reconnects by itself, and a fresh one would leave the old one's batches in flight.
        futures = [
            await producer.send(m.topic, value=m.value, key=m.key.encode(), headers=list(m.headers))
            for m in messages
        ]
        await asyncio.gather(*futures)

    async def ready(self) -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
        try:
            await asyncio.wait_for(admin.start(), 5)
            await asyncio.wait_for(admin.list_topics(), 5)
            return True
        except Exception:
            return False
        finally:
            await admin.close()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        missing = [t for t in topics if t not in self._known_topics]
        if not missing:
            return
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            to_create = [t for t in missing if t not in existing]
            if to_create:
                response = await admin.create_topics(
                    [NewTopic(t, self.partitions, self.replication) for t in to_create]
                )
                for topic, code, *rest in getattr(response, "topic_errors", []):
                    if code not in (0, TOPIC_ALREADY_EXISTS):
                        raise RuntimeError(f"cannot create topic {topic}: {code} {rest}")
                log.info("created topics %s", to_create)
            self._known_topics.update(missing)
        finally:
            await admin.close()

    def subscribe(
        self,
        group: str,
        topics: Sequence[str],
        process: Processor,
        *,
        process_batch: BatchProcessor | None = None,
    ) -> Worker:
        return KafkaConsumerWorker(self, group, list(topics), process, process_batch)


async def _graceful_stop(producer: AIOKafkaProducer) -> None:
    await producer.stop()


def _abort(producer: AIOKafkaProducer) -> None:
    """Fail every batch still queued in ``producer`` (aiokafka has no public abort)."""
    with contextlib.suppress(Exception):
        producer._message_accumulator.fail_all(KafkaError("producer aborted"))


class KafkaConsumerWorker:
    """A consumer group member: process each message, then commit its offset.

    ``process`` applies or dead-letters a message; when it raises (its own database is
    down), the partition is not committed past that message and the consumer restarts.
    When a fetch brings several records of a partition (a backlog), ``process_batch`` may
    apply them together (one transaction); when it declines, they go one by one.
    """

    def __init__(
        self,
        bus: KafkaBus,
        group: str,
        topics: list[str],
        process: Processor,
        process_batch: BatchProcessor | None = None,
    ) -> None:
        self.bus = bus
        self.group = group
        self.topics = topics
        self.process = process
        self.process_batch = process_batch
        self.started = asyncio.Event()

    async def run(self) -> None:
        backoff = 0.5
        while True:
            consumer: AIOKafkaConsumer | None = None
            try:
                await self.bus.ensure_topics(self.topics)
                consumer = AIOKafkaConsumer(
                    *self.topics,
                    bootstrap_servers=self.bus.bootstrap,
                    group_id=self.group,
                    enable_auto_commit=False,
                    auto_offset_reset="earliest",
                    isolation_level="read_committed",
                )
                await consumer.start()
                self.started.set()
                backoff = 0.5
                await self._consume(consumer)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer %s failed; restarting in %.1fs", self.group, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
            finally:
                if consumer is not None:
                    await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            self._measure_lag(consumer)
            for tp, records in batches.items():
                messages = [
                    Message(
                        topic=record.topic,
                        key=(record.key or b"").decode(),
                        value=record.value or b"",
                        partition=record.partition,
                        offset=record.offset,
                        headers=tuple(record.headers or ()),
                    )
                    for record in records
                ]
                done: int | None = None
                try:
                    size = self.bus.consumer_batch_size
                    for start in range(0, len(messages), size):
                        chunk = messages[start : start + size]
                        if (
                            len(chunk) > 1
                            and self.process_batch is not None
                            and await self.process_batch(chunk)
                        ):
                            done = chunk[-1].offset
                            continue
                        for message in chunk:
                            await self.process(message)
                            done = message.offset
                finally:
                    if done is not None:
                        await consumer.commit({TopicPartition(tp.topic, tp.partition): done + 1})

    def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        """``orbit_consumer_lag`` per assigned partition: the high watermark of the last
        fetch less the consumer's position (what is fetched but not processed counts)."""
        with contextlib.suppress(Exception):  # a rebalance in between: measured next time
            for tp in consumer.assignment():
                state = consumer._subscription.subscription.assignment.state_value(tp)
                if state.highwater is not None and state.has_valid_position:
                    CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(
                        max(state.highwater - state.position, 0)
                    )


async def read_from_start(
    bootstrap: str, topics: Sequence[str], *, batch_size: int = 500
) -> AsyncIterator[list[Message]]:
    """Every record of ``topics`` from the beginning of each partition up to its end offset
    when called, in batches of at most ``batch_size`` (a topic that does not exist has none).
    No consumer group: every partition is assigned, nothing is committed, no service's group
    is touched; records published meanwhile are not read."""
    partitions = await _partitions(bootstrap, topics)
    if not partitions:
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=batch_size)
            yield [
                Message(
                    topic=tp.topic,
                    key=(record.key or b"").decode(errors="replace"),
                    value=record.value or b"",
                    partition=tp.partition,
                    offset=record.offset,
                )
                for tp, records in batches.items()
                for record in records
                if record.offset < ends[tp]
            ]
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()


async def _partitions(bootstrap: str, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of ``topics`` (a topic that does not exist has none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], p["partition"])
        for topic in described
        if not topic["error_code"]
        for p in sorted(topic["partitions"], key=lambda p: p["partition"])
    ]
