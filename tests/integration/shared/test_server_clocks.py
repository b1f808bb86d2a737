"""PostgreSQL's and Kafka's clocks agree with the tests' own: under `make test-clock`
(libfaketime, docs/operations.md "Tested on any day") this proves every server really runs on
the moved clock, not only pytest; in a normal run it holds with the real clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy.engine import make_url

from tests.support.kafka import unique_service_name
from tests.support.servers import postgres_admin_url

pytestmark = pytest.mark.integration

# Far below any clock move a variant makes (hours to years), far above a slow machine's lag.
AGREE = timedelta(minutes=2)


def near_now(instant: datetime) -> bool:
    return abs(instant - datetime.now(UTC)) < AGREE


async def test_postgres_now_is_the_tests_now() -> None:
    dsn = make_url(postgres_admin_url()).set(drivername="postgresql")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        server_now = await conn.fetchval("SELECT now()")
    finally:
        await conn.close()
    assert near_now(server_now), f"PostgreSQL says {server_now}, the tests {datetime.now(UTC)}"


async def test_kafka_stamps_records_with_the_tests_now(kafka: str) -> None:
    # LogAppendTime: the broker (its JVM's clock), not the producer, stamps each record.
    topic = f"clock.{unique_service_name()}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, 1, 1, topic_configs={"message.timestamp.type": "LogAppendTime"})]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"tick")
    finally:
        await producer.stop()
    stamped = datetime.fromtimestamp(sent.timestamp / 1000, UTC)
    assert sent.timestamp_type == 1, "the broker did not stamp the record (LogAppendTime)"
    assert near_now(stamped), f"Kafka stamped {stamped}, the tests say {datetime.now(UTC)}"
