"""The in-process bus of embedded mode (``orbit run``): ``publish`` delivers to the subscribers."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from shared.messaging.bus import BatchProcessor, Message, Processor, Worker

# The in-process bus hands a consumer at most this many messages at once: one transaction of
# the consumer for all of them (its database's writer is held that long).
DELIVERY_BATCH = 16


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
