"""The bus a process uses: Kafka when a bootstrap address is set, else the in-process bus."""

from __future__ import annotations

from shared.messaging.bus import Bus
from shared.messaging.inprocess import InProcessBus


def create_bus(
    bootstrap: str | None,
    *,
    partitions: int = 3,
    replication: int = 1,
    consumer_batch_size: int = 50,
) -> Bus:
    if bootstrap:
        # Imported only here: embedded mode never loads the Kafka client.
        from shared.messaging.kafka import KafkaBus

        return KafkaBus(
            bootstrap,
            partitions=partitions,
            replication=replication,
            consumer_batch_size=consumer_batch_size,
        )
    return InProcessBus()
