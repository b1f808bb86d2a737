"""The relay's ``orbit_outbox_pending`` gauge reports the backlog (SQLite, in-process bus)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import ClassVar

import pytest

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.envelope import Event
from shared.messaging.inprocess import InProcessBus
from shared.messaging.outbox import OutboxRelay
from shared.metrics import OUTBOX_PENDING
from shared.migrations import migrate
from shared.uow import UnitOfWorkFactory


class GaugeTickV1(Event):
    TYPE: ClassVar[str] = "orbit.gaugetest.tick.happened.v1"

    client_id: uuid.UUID
    n: int


class DownBus(InProcessBus):
    async def publish(self, messages: Sequence[Message]) -> None:
        raise ConnectionError("broker down")


def pending(service: str) -> float:
    return OUTBOX_PENDING.labels(service)._value.get()  # type: ignore[attr-defined, no-any-return]


async def test_pending_gauge_follows_the_backlog(sqlite_url: str) -> None:
    await migrate(CLIENTS.migrations, sqlite_url)
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    async with UnitOfWorkFactory(sessions, SystemClock())() as uow:
        for n in range(5):
            await uow.emit(GaugeTickV1(client_id=uuid.uuid4(), n=n))
        await uow.commit()

    service = f"gauge{uuid.uuid4().hex[:6]}"
    with pytest.raises(ConnectionError):
        await OutboxRelay(service, sessions, DownBus(), batch_size=2).run_once()
    assert pending(service) == 5

    relay = OutboxRelay(service, sessions, InProcessBus(), batch_size=2)
    assert await relay.run_once() == 2
    assert pending(service) == 3
    assert await relay.run_once() == 2
    assert pending(service) == 1
    assert await relay.run_once() == 1
    assert pending(service) == 0
    await engine.dispose()
