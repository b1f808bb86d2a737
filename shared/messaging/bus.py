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
# The same for a run of messages of one partition, in order.
BatchProcessor = Callable[[Sequence[Message]], Awaitable[None]]


def batch_processor_of(process: Processor) -> BatchProcessor | None:
    """A transport that reads messages in batches (Kafka) hands them to ``process_many`` of
    the object whose bound ``process`` it was given (``EventConsumer``), when it has one."""
    many = getattr(getattr(process, "__self__", None), "process_many", None)
    return many if callable(many) else None


class Bus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, messages: Sequence[Message]) -> None:
        """Publish all messages in order, or raise; partially sent batches are sent again."""
        ...

    async def ready(self) -> bool: ...
    async def ensure_topics(self, topics: Sequence[str]) -> None: ...
    def subscribe(self, group: str, topics: Sequence[str], process: Processor) -> Worker: ...


class Worker(Protocol):
    async def run(self) -> None: ...


class _Idle:
    """The in-process bus pushes to subscribers itself; their worker only waits."""

    async def run(self) -> None:
        await asyncio.Event().wait()


class InProcessBus:
    """Delivers each published message to every subscribed group before ``publish`` returns.

    Because the relay marks outbox rows sent only after ``publish`` returns, a crash in the
    middle means the rows are delivered again on restart (consumers deduplicate by inbox).
    """

    def __init__(self) -> None:
        self._subscribers: dict[str, list[tuple[str, Processor]]] = defaultdict(list)
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

    def subscribe(self, group: str, topics: Sequence[str], process: Processor) -> Worker:
        for topic in topics:
            self._subscribers[topic].append((group, process))
        return _Idle()

    async def publish(self, messages: Sequence[Message]) -> None:
        async with self._lock:
            for message in messages:
                if self.keep_history:
                    self.published.append(message)
                for _group, process in list(self._subscribers.get(message.topic, ())):
                    await process(message)
                    # Let requests in between: a consumer on SQLite may not yield at all
                    # (shared/sqlite_inline.py), and a batch is hundreds of events.
                    await asyncio.sleep(0)


def create_bus(bootstrap: str | None, *, partitions: int = 3, replication: int = 1) -> Bus:
    if bootstrap:
        from shared.messaging.kafka import KafkaBus

        return KafkaBus(bootstrap, partitions=partitions, replication=replication)
    return InProcessBus()
