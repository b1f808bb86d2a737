"""``orbit reports rebuild`` against the real Kafka: the events the scorecard was built from,
published to topics of this test, rebuild the same numbers into a projection that was
damaged meanwhile; a second rebuild gives them again. The CLI refuses without Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select

from services.cli import main
from services.notifications.app import create_app
from services.notifications.handlers.scorecard.projection import SCORECARD_SUBSCRIBERS
from services.notifications.handlers.scorecard.rebuild import rebuild
from services.notifications.store.scorecard.models import sc_applied, sc_invoices, sc_requests
from shared.clock import FixedClock
from shared.messaging.envelope import topics_of
from tests.integration.notifications.scorecard_world import NOW, World, build
from tests.support.apps import ADMIN, running, runtime_of, test_settings
from tests.support.kafka import create_topics, unique_service_name

pytestmark = pytest.mark.integration


@pytest.fixture
async def topics(kafka: str) -> AsyncIterator[dict[str, str]]:
    """Three topics of this test, one per producing service."""
    prefix = unique_service_name()
    names = {t: f"{prefix}.{t.removeprefix('orbit.')}" for t in topics_of(SCORECARD_SUBSCRIBERS)}
    await create_topics(kafka, list(names.values()))
    yield names


async def test_rebuild_from_kafka_gives_the_same_numbers(
    pg_url: str, kafka: str, topics: dict[str, str]
) -> None:
    settings = test_settings(database_url=pg_url, scheduler_interval_seconds=3600)
    app = create_app(settings, clock=FixedClock(NOW), migrate_on_start=True)
    async with running(app) as http:
        runtime = runtime_of(app, "notifications")
        world = World(runtime)
        await build(world)

        async def card() -> object:
            response = await http.get(
                "/api/v1/reports/scorecard",
                headers=ADMIN,
                params={"period": "week", "date": "2026-11-25"},
            )
            assert response.status_code == 200, response.text
            return response.json()

        built = await card()
        producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True)
        await producer.start()
        try:
            for key, envelope in world.sent:
                topic = topics["orbit." + envelope.type.split(".")[1]]
                await producer.send_and_wait(topic, envelope.to_json(), key=key.encode())
        finally:
            await producer.stop()

        # the projection is damaged (rows lost): the scorecard is wrong...
        async with runtime.uow() as uow:
            await uow.session.execute(delete(sc_invoices))
            await uow.session.execute(delete(sc_requests))
            await uow.commit()
        assert await card() != built

        # ...and the rebuild reads the topics from their start and gives the numbers back
        result = await rebuild(runtime.uow, kafka, topics=list(topics.values()), batch_size=7)
        # staff events are read but are the staff replica's, not the projection's
        projected = sum(1 for _, e in world.sent if e.type in SCORECARD_SUBSCRIBERS)
        assert 0 < projected < len(world.sent)
        assert (result.read, result.applied, result.failed) == (len(world.sent), projected, 0)
        assert await card() == built
        async with runtime.uow() as uow:
            applied = await uow.session.scalar(select(func.count()).select_from(sc_applied))
        assert applied == projected

        again = await rebuild(runtime.uow, kafka, topics=list(topics.values()))
        assert again.applied == projected
        assert await card() == built


def test_the_cli_needs_kafka(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ORBIT_KAFKA_BOOTSTRAP", raising=False)
    assert main(["reports", "rebuild"]) == 2
    assert "ORBIT_KAFKA_BOOTSTRAP" in capsys.readouterr().err
