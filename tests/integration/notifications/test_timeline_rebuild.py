"""``orbit timeline rebuild`` against the real Kafka: the events a client's timeline, summary
and calendar were built from, published to topics of this test, rebuild the same answers into
a projection that was lost meanwhile (the alerts come back from the notifications rows); a
second rebuild gives them again. The CLI refuses without Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import delete

from services.cli import main
from services.notifications.handlers.scorecard.rebuild import rebuild
from services.notifications.handlers.timeline import REBUILD_SUBSCRIBERS
from services.notifications.store.timeline import TIMELINE_TABLES
from shared.messaging.envelope import CloudEvent, topics_of
from tests.integration.notifications.helpers import Notif
from tests.integration.notifications.timeline_world import live
from tests.support.kafka import create_topics, unique_service_name

pytestmark = pytest.mark.integration


@pytest.fixture
async def topics(kafka: str) -> AsyncIterator[dict[str, str]]:
    """One topic of this test per producing service."""
    prefix = unique_service_name()
    names = {t: f"{prefix}.{t.removeprefix('orbit.')}" for t in topics_of(REBUILD_SUBSCRIBERS)}
    await create_topics(kafka, list(names.values()))
    yield names


async def test_rebuild_from_kafka_gives_the_same_answers(
    notif: Notif, kafka: str, topics: dict[str, str]
) -> None:
    sent: list[CloudEvent] = []  # every event, the staff's and the client's too
    deliver = notif.deliver

    async def recorded(event_type: str, data: dict[str, Any], **kw: Any) -> CloudEvent:
        envelope = await deliver(event_type, data, **kw)
        sent.append(envelope)
        return envelope

    notif.deliver = recorded  # type: ignore[method-assign]
    manager = await notif.staff("Ann")
    client_id = await notif.client("Initech", manager, timezone="Europe/Berlin")
    await live(notif, manager, client_id)
    feed = (await notif.http.post("/api/v1/calendar/feeds", headers=manager.headers)).json()

    async def answers() -> list[object]:
        got = []
        for path in (
            f"/api/v1/clients/{client_id}/timeline?limit=500",
            f"/api/v1/clients/{client_id}/summary",
        ):
            response = await notif.http.get(path, headers=manager.headers)
            assert response.status_code == 200, response.text
            got.append(response.json())
        calendar = await notif.http.get(feed["url"])
        assert calendar.status_code == 200
        got.append(calendar.text)
        return got

    built = await answers()
    assert len(built[0]["items"]) > 10  # type: ignore[index]
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True)
    await producer.start()
    try:
        for envelope in sent:
            topic = topics["orbit." + envelope.type.split(".")[1]]
            await producer.send_and_wait(topic, envelope.to_json(), key=str(client_id).encode())
    finally:
        await producer.stop()

    # the projection is lost: an empty timeline, a summary of nothing, an empty calendar...
    async with notif.runtime.uow() as uow:
        for table in TIMELINE_TABLES:
            await uow.session.execute(delete(table))
        await uow.commit()
    lost = await answers()
    assert lost[0]["items"] == [] and lost != built  # type: ignore[index]

    # ...and the rebuild reads the topics from their start and gives the same answers
    def rebuilt(**batches: int) -> Any:
        return rebuild(
            notif.runtime.uow,
            kafka,
            topics=list(topics.values()),
            handlers=REBUILD_SUBSCRIBERS,
            tables=TIMELINE_TABLES,
            **batches,
        )

    result = await rebuilt(batch_size=7)
    # every event of the catalogue may have raised an alert about a client: all are applied
    assert (result.read, result.applied, result.failed) == (len(sent), len(sent), 0)
    assert await answers() == built
    again = await rebuilt()
    assert again.failed == 0
    assert await answers() == built


def test_the_cli_needs_kafka(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORBIT_KAFKA_BOOTSTRAP", raising=False)
    assert main(["timeline", "rebuild"]) == 2
    assert "timeline rebuild reads Kafka: set ORBIT_KAFKA_BOOTSTRAP" in capsys.readouterr().err
