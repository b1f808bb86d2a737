"""The bus a process uses: Kafka when a bootstrap address is set, else the in-process bus."""

from __future__ import annotations

from shared.messaging.bus import Bus
from shared.messaging.inprocess import InProcessBus
from shared.settings import OrbitSettings


def create_bus(settings: OrbitSettings) -> Bus:
    """The bus of ``settings``: its topics' partitions and replication and the consumer's
    batch come from there (``ORBIT_KAFKA_PARTITIONS``, ...), never from defaults of their own."""
    if settings.kafka_bootstrap:
        # Imported only here: embedded mode never loads the Kafka client.
        from shared.messaging.kafka import KafkaBus

        return KafkaBus(
            settings.kafka_bootstrap,
            partitions=settings.kafka_partitions,
            replication=settings.kafka_replication_factor,
            consumer_batch_size=settings.consumer_batch_size,
        )
    return InProcessBus()
