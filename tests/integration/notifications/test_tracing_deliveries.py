"""One trace from an HTTP request to the email and the webhook it causes (real PostgreSQL,
Kafka, an aiosmtpd server and an HTTP receiver; an in-memory span exporter): the clients
service creates a client (the request's server span) -> client.created.v1 through its outbox
and the relay to Kafka -> the notifications consumer applies it (a consumer span, child of the
request's) and writes an email and a webhook delivery carrying its traceparent -> the workers
send them in ``email.send`` and ``webhook.send`` spans, children of the consumer's; the
receiver gets the webhook span's ``traceparent``; the worker's log lines carry the trace id;
no span attribute holds an email address."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, cast

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import func, select

from services.clients.app import create_app as clients_app
from shared.messaging.bus import Bus, Message
from shared.messaging.kafka import KafkaBus
from shared.messaging.outbox import OutboxRelay
from shared.tables import inbox
from tests.integration.notifications.helpers import ADMIN, Notif, make_notif
from tests.integration.notifications.test_email_smtp import SmtpServer, smtp
from tests.integration.notifications.test_webhooks import subscribe
from tests.support.apps import running, runtime_of, test_settings
from tests.support.kafka import unique_service_name
from tests.support.receiver import Receiver
from tests.support.servers import fresh_postgres_database
from tests.support.tracing import in_memory_spans, json_log_lines
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
__all__ = ["smtp"]  # the email tests' fixture (``receiver``: tests/conftest.py)
CREATED = "orbit.clients.client.created.v1"


class TestTopics:
    """A bus publishing ``orbit.<service>`` to ``<prefix>.<service>``: topics of this test
    only (the shared broker's ``orbit.*`` topics belong to running systems)."""

    __test__ = False

    def __init__(self, bus: KafkaBus, prefix: str) -> None:
        self.bus = bus
        self.prefix = prefix

    def topic(self, name: str) -> str:
        return f"{self.prefix}.{name.removeprefix('orbit.')}"

    async def publish(self, messages: Sequence[Message]) -> None:
        renamed = [dataclasses.replace(m, topic=self.topic(m.topic)) for m in messages]
        await self.bus.publish(renamed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bus, name)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with in_memory_spans() as exporter:
        yield exporter


@pytest.fixture
async def notif(pg_url: str, smtp: SmtpServer) -> AsyncIterator[Notif]:
    smtp.start()
    async for value in make_notif(
        pg_url, smtp_url=f"smtp://127.0.0.1:{smtp.port}", notifications_webhook_allow_loopback=True
    ):
        yield value


def only(spans: Sequence[ReadableSpan], name: str, trace_id: int | None = None) -> ReadableSpan:
    found = [
        s for s in spans if s.name == name and (trace_id is None or s.context.trace_id == trace_id)
    ]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


async def test_one_trace_from_the_request_to_the_email_and_the_webhook(
    spans: InMemorySpanExporter,
    notif: Notif,
    smtp: SmtpServer,
    receiver: Receiver,
    kafka: str,
) -> None:
    # Notifications: client.created emails the account manager (an admin's rule) and goes to
    # a webhook subscription.
    rules = (await notif.http.get("/api/v1/rules", headers=ADMIN)).json()
    rule = {
        "event_type": CREATED,
        "recipients": ["account_manager"],
        "channels": ["in_app", "email"],
        "severity": "warning",
    }
    replaced = await notif.http.put("/api/v1/rules", headers=ADMIN, json=[*rules, rule])
    assert replaced.status_code == 200, replaced.text
    await subscribe(notif, receiver.url, [CREATED])

    bus = KafkaBus(kafka)
    topics = TestTopics(bus, unique_service_name())
    consumer = bus.subscribe(
        unique_service_name(), [topics.topic("orbit.clients")], notif.runtime.consumer.process
    )
    consuming = asyncio.create_task(consumer.run())

    async def applied(count: int) -> bool:
        async with notif.runtime.reads() as session:
            return int(await session.scalar(select(func.count()).select_from(inbox)) or 0) >= count

    settings = test_settings(database_url=None)
    try:
        async with fresh_postgres_database() as clients_url:
            app = clients_app(
                settings.model_copy(update={"database_url": clients_url}),
                migrate_on_start=True,
                workers=False,
            )
            async with running(app) as http:
                sessions = runtime_of(app, "clients").sessions
                relay = OutboxRelay("clients", sessions, cast(Bus, topics))
                staff = await http.post(
                    "/api/v1/staff",
                    headers=ADMIN,
                    json={"name": "Ida", "email": "ida@orbit.example", "role": "manager"},
                )
                assert staff.status_code == 201, staff.text
                assert await relay.run_once() == 1
                await eventually(lambda: applied(1), timeout=30, what="staff.created applied")

                created = await http.post(
                    "/api/v1/clients",
                    headers=ADMIN,
                    json={"name": "Initech", "account_manager_id": staff.json()["id"]},
                )
                assert created.status_code == 201, created.text
                assert await relay.run_once() == 1
                await eventually(lambda: applied(2), timeout=30, what="client.created applied")
    finally:
        consuming.cancel()
        await asyncio.gather(consuming, return_exceptions=True)
        await bus.stop()

    with json_log_lines() as logged:
        workers = notif.workers()
        assert await workers["email"].run_once() == 1
        assert await workers["webhooks"].run_once() == 1
    [mail] = await notif.deliveries(channel="email")
    [hook] = await notif.deliveries(channel="webhook")
    assert (mail.status, hook.status) == ("sent", "sent")
    assert [str(m["To"]) for m in smtp.inbox.messages] == ["ida@orbit.example"]
    [(_, headers, _)] = receiver.requests

    finished = spans.get_finished_spans()
    request = only(finished, "POST /api/v1/clients")
    assert request.kind == SpanKind.SERVER
    trace_id = request.context.trace_id
    consumed = only(finished, f"{CREATED} process", trace_id)
    assert consumed.kind == SpanKind.CONSUMER
    assert consumed.parent is not None and consumed.parent.span_id == request.context.span_id
    hex_trace = format(trace_id, "032x")
    for row in (mail, hook):  # the consumer's context, kept with each delivery
        assert (row.traceparent or "").startswith(
            f"00-{hex_trace}-{consumed.context.span_id:016x}-"
        )

    sent_email = only(finished, "email.send", trace_id)
    sent_webhook = only(finished, "webhook.send", trace_id)
    for span, row in ((sent_email, mail), (sent_webhook, hook)):
        assert span.kind == SpanKind.CLIENT
        assert span.parent is not None and span.parent.span_id == consumed.context.span_id
        assert span.attributes is not None
        assert span.attributes["orbit.delivery.id"] == str(row.id)
        assert span.attributes["orbit.delivery.channel"] == row.channel
        assert span.attributes["orbit.delivery.outcome"] == "sent"
        assert span.attributes["orbit.delivery.attempt"] == 1
        assert not any("@" in str(v) for v in span.attributes.values())  # no addresses
    assert sent_email.attributes and sent_email.attributes["orbit.smtp.code"] == 250
    assert sent_webhook.attributes and sent_webhook.attributes["http.response.status_code"] == 200
    # the receiver can continue the trace: the header names the webhook's span
    assert headers["traceparent"].startswith(f"00-{hex_trace}-{sent_webhook.context.span_id:016x}-")

    # the worker's lines of both deliveries carry the trace id
    lines = [e for e in logged if e["logger"] == "orbit.notifications.workers"]
    assert {(e.get("trace_id"), str(e["msg"]).split(":")[0]) for e in lines} == {
        (hex_trace, f"email delivery {mail.id}"),
        (hex_trace, f"webhook delivery {hook.id}"),
    }
