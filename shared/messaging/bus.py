"""The event bus behind one interface: Apache Kafka, or an in-process bus for embedded mode.

Both are fed by the same outbox relay; consumers attach to either through ``subscribe``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("orbit.bus")


@dataclass(frozen=True)
class Message:
    topic: str
    key: str
    value: bytes
    partition: int | None = None
    offset: int | None = None
    headers: tuple[tuple[str, bytes], ...] = field(default_factory=tuple)


# A consumer's processing function: must handle (or dead-letter) the message, and only raise
# when the message must be delivered again later (e.g. its own database is unreachable).
Processor = Callable[[Message], Awaitable[None]]
# Optionally, several messages at once (consecutive ones of a partition, or of the
# consumer's topics in order on the in-process bus): True when all were handled in one
# transaction, False when none was (the bus then gives them to the Processor one by one).
BatchProcessor = Callable[[Sequence[Message]], Awaitable[bool]]

# The in-process bus hands a consumer at most this many messages at once: one transaction of
# the consumer for all of them (its database's writer is held that long).
DELIVERY_BATCH = 16


class Bus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, messages: Sequence[Message]) -> None:
        """Publish all messages in order, or raise; partially sent batches are sent again."""
        ...

    async def ready(self) -> bool: ...
    async def ensure_topics(self, topics: Sequence[str]) -> None: ...
    def subscribe(
        self,
        group: str,
        topics: Sequence[str],
        process: Processor,
        *,
        process_batch: BatchProcessor | None = None,
    ) -> Worker:
        """Deliver the messages of ``topics`` to ``process``; a bus may hand several in order
        to ``process_batch`` instead, when given (Kafka: a backlog of a partition; the
        in-process bus: a relay batch)."""
        ...


class Worker(Protocol):
    async def run(self) -> None: ...


class _Idle:
    """The in-process bus pushes to subscribers itself; their worker only waits."""

    async def run(self) -> None:
        await asyncio.Event().wait()


@dataclass(frozen=True, eq=False)
class _Subscription:
    group: str
    process: Processor
    batch: BatchProcessor | None


class InProcessBus:
    """Delivers each published message to every subscribed group before ``publish`` returns.

    Each subscription gets the messages of its topics in the published order, up to
    :data:`DELIVERY_BATCH` at a time when it takes batches (one transaction of the consumer
    for them), one by one otherwise. Because the relay marks outbox rows sent only after
    ``publish`` returns, a crash in the middle means the rows are delivered again on restart
    (consumers deduplicate by inbox).
    """

    def __init__(self) -> None:
        self._subscribers: dict[str, list[_Subscription]] = defaultdict(list)
        self._lock = asyncio.Lock()
        self.published: list[Message] = []
        self.keep_history = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ready(self) -> bool:
        return True

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        return None

    def subscribe(
        self,
        group: str,
        topics: Sequence[str],
        process: Processor,
        *,
        process_batch: BatchProcessor | None = None,
    ) -> Worker:
        subscription = _Subscription(group, process, process_batch)
        for topic in topics:
            self._subscribers[topic].append(subscription)
        return _Idle()

    async def publish(self, messages: Sequence[Message]) -> None:
        async with self._lock:
            if self.keep_history:
                self.published.extend(messages)
            routed: dict[_Subscription, list[Message]] = {}
            for message in messages:
                for subscription in self._subscribers.get(message.topic, ()):
                    routed.setdefault(subscription, []).append(message)
            for subscription, theirs in routed.items():
                if subscription.batch is None:
                    chunks: list[Sequence[Message]] = [[m] for m in theirs]
                else:
                    chunks = [
                        theirs[i : i + DELIVERY_BATCH]
                        for i in range(0, len(theirs), DELIVERY_BATCH)
                    ]
                for chunk in chunks:
                    if subscription.batch is None or len(chunk) == 1:
                        await subscription.process(chunk[0])
                    elif not await subscription.batch(chunk):
                        for message in chunk:  # none applied: one by one (retries, DLQ)
                            await subscription.process(message)
                    # Let requests in between: a consumer on SQLite may not yield at all
                    # (shared/sqlite_inline.py), and a relay batch is hundreds of events.
                    await asyncio.sleep(0)


def create_bus(
    bootstrap: str | None,
    *,
    partitions: int = 3,
    replication: int = 1,
    consumer_batch_size: int = 50,
) -> Bus:
    if bootstrap:
        from shared.messaging.kafka import KafkaBus

        return KafkaBus(
            bootstrap,
            partitions=partitions,
            replication=replication,
            consumer_batch_size=consumer_batch_size,
        )
    return InProcessBus()
