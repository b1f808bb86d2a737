"""One trace across Kafka (real PostgreSQL and Kafka, an in-memory span exporter): an HTTP
request emits an event -> its outbox row keeps the request's traceparent -> the relay puts it
in the record's header (a record the CloudEvents SDK's Kafka binding decodes, structured
mode) -> the consumer applies it in a span of the same trace, whose own events carry it on;
log lines carry the trace_id."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import ClassVar

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from cloudevents.v1.kafka import KafkaMessage, from_structured
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.logging import RequestContextMiddleware
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent, Event
from shared.messaging.kafka import KafkaBus
from shared.messaging.outbox import OutboxRelay
from shared.migrations import migrate
from shared.tables import outbox
from shared.tracing import configure_tracing, disable_tracing
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.support.kafka import unique_service_name
from tests.support.tracing import in_memory_spans, json_log_lines
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

PRODUCER = unique_service_name()
CONSUMER = unique_service_name()


class PingedV1(Event):
    TYPE: ClassVar[str] = f"orbit.{PRODUCER}.thing.pinged.v1"
    client_id: uuid.UUID


class PongedV1(Event):
    TYPE: ClassVar[str] = f"orbit.{CONSUMER}.thing.ponged.v1"
    client_id: uuid.UUID


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with in_memory_spans() as exporter:
        yield exporter


@pytest.fixture
async def uow(pg_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    await migrate(CLIENTS.migrations, pg_url)
    engine = create_engine(pg_url)
    try:
        yield UnitOfWorkFactory(session_factory(engine), SystemClock())
    finally:
        await engine.dispose()


async def kafka_records(bootstrap: str, topic: str, count: int) -> list[KafkaMessage]:
    """The first ``count`` records of ``topic`` with their headers, as the SDK's messages."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await eventually(
            lambda: _partitions(consumer, topic), timeout=30, what=f"topic {topic}"
        )
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[KafkaMessage] = []

        async def more() -> bool:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                found.extend(
                    KafkaMessage(
                        headers={k: v for k, v in r.headers}, key=r.key, value=r.value or b""
                    )
                    for r in batch
                )
            return len(found) >= count

        await eventually(more, timeout=30, what=f"{count} records on {topic}")
        return found
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int] | None:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic)


async def test_one_trace_from_the_http_request_through_kafka_to_the_consumer(
    spans: InMemorySpanExporter, uow: UnitOfWorkFactory, kafka: str
) -> None:
    client_id = uuid.uuid4()
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)

    @app.post("/ping")
    async def ping() -> dict[str, str]:
        async with uow() as work:
            await work.emit(PingedV1(client_id=client_id))
            await work.commit()
        return {"status": "ok"}

    async def on_ping(work: UnitOfWork, event: CloudEvent) -> None:
        logging.getLogger("orbit.test").info("applying %s", event.id)
        await work.emit(PongedV1(client_id=client_id))

    bus = KafkaBus(kafka)
    consumer = EventConsumer(CONSUMER, uow, {PingedV1.TYPE: on_ping}, backoff=0.01)
    worker = bus.subscribe(consumer.group, consumer.topics, consumer.process)
    task = asyncio.create_task(worker.run())
    try:
        with json_log_lines() as logged:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                assert (await http.post("/ping")).status_code == 200
            relay = OutboxRelay(PRODUCER, uow.sessions, bus)
            assert await relay.run_once() == 1

            async def consumed() -> bool:
                return any(s.kind == SpanKind.CONSUMER for s in spans.get_finished_spans())

            await eventually(consumed, timeout=60, what="the consumer's span")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()

    (server,) = [s for s in spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    (applied,) = [s for s in spans.get_finished_spans() if s.kind == SpanKind.CONSUMER]
    assert server.name == "POST /ping"
    trace_id = server.context.trace_id
    assert applied.context.trace_id == trace_id
    assert applied.parent is not None and applied.parent.span_id == server.context.span_id
    assert applied.name == f"{PingedV1.TYPE} process"
    assert applied.attributes and applied.attributes["messaging.destination.name"] == (
        f"orbit.{PRODUCER}"
    )

    # The outbox rows: the request's span, then the consumer's (same trace) for its event.
    async with uow.sessions() as session:
        rows = dict(
            (await session.execute(select(outbox.c.event_type, outbox.c.traceparent))).all()
        )
    hex_trace = format(trace_id, "032x")
    assert rows[PingedV1.TYPE].startswith(f"00-{hex_trace}-{server.context.span_id:016x}-")
    assert rows[PongedV1.TYPE].startswith(f"00-{hex_trace}-{applied.context.span_id:016x}-")

    # The record on Kafka, decoded by the CloudEvents SDK (structured mode).
    (record,) = await kafka_records(kafka, f"orbit.{PRODUCER}", 1)
    event = from_structured(record)
    assert event["type"] == PingedV1.TYPE and event["source"] == f"orbit/{PRODUCER}"
    assert event["subject"] == str(client_id) and event.data == {"client_id": str(client_id)}
    assert record.headers["content-type"] == b"application/cloudevents+json"
    assert record.headers["traceparent"] == rows[PingedV1.TYPE].encode()

    # Log lines: the request's and the handler's carry the trace id.
    assert any(e["logger"] == "orbit.http" and e.get("trace_id") == hex_trace for e in logged)
    assert any(e["logger"] == "orbit.test" and e.get("trace_id") == hex_trace for e in logged)


async def test_tracing_is_off_without_the_endpoint(
    uow: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    disable_tracing()
    assert configure_tracing("orbit-test") is False
    async with uow() as work:
        await work.emit(PingedV1(client_id=uuid.uuid4()))
        await work.commit()
    async with uow.sessions() as session:
        assert await session.scalar(select(outbox.c.traceparent)) is None
