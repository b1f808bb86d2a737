"""The event bus port: the message, the processing functions and the ``Bus`` every transport
implements (Apache Kafka in ``shared/messaging/kafka.py``, the in-process bus of embedded mode in
``shared/messaging/inprocess.py``; ``shared/messaging/factory.py`` picks one).

Both are fed by the same outbox relay; consumers attach to either through ``subscribe``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


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
