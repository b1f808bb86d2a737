"""The relay's wake-up path (SQLite, in-process bus): a commit made while a round is under way
is published by the next round at once, not after the interval; the linger only after a busy
round."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from typing import ClassVar

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.envelope import Event
from shared.messaging.inprocess import InProcessBus
from shared.messaging.outbox import OutboxRelay
from shared.migrations import migrate
from shared.uow import UnitOfWorkFactory


class WakeTickV1(Event):
    TYPE: ClassVar[str] = "orbit.waketest.tick.happened.v1"

    client_id: uuid.UUID
    n: int


class GatedBus(InProcessBus):
    """Holds the first publish until ``gate`` is set; records what it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.publishing = asyncio.Event()
        self.batches: list[list[bytes]] = []
        self.second = asyncio.Event()

    async def publish(self, messages: Sequence[Message]) -> None:
        self.publishing.set()
        await self.gate.wait()
        self.batches.append([m.value for m in messages])
        if len(self.batches) >= 2:
            self.second.set()


async def test_a_commit_during_a_round_is_published_at_once_not_after_the_interval(
    sqlite_url: str,
) -> None:
    await migrate(CLIENTS.migrations, sqlite_url)
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    uow_factory = UnitOfWorkFactory(sessions, SystemClock())
    bus = GatedBus()
    # An interval far beyond the test's deadline: only a wake-up can start the second round.
    relay = OutboxRelay("waketest", sessions, bus, interval=600, linger=0.005)
    uow_factory.on_commit = lambda _events: relay.wake()

    async def commit(n: int) -> None:
        async with uow_factory() as uow:
            await uow.emit(WakeTickV1(client_id=uuid.uuid4(), n=n))
            await uow.commit()

    await commit(1)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(bus.publishing.wait(), 10)  # round 1 read row 1, is publishing
        await commit(2)  # wakes the relay while its round is under way
        bus.gate.set()
        await asyncio.wait_for(bus.second.wait(), 10)
        assert [len(b) for b in bus.batches] == [1, 1]
        assert b'"n":2' in bus.batches[1][0].replace(b" ", b"")
    finally:
        relay.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.dispose()


def test_the_relay_lingers_only_after_a_busy_round(sqlite_url: str) -> None:
    relay = OutboxRelay("lingertest", session_factory(create_engine(sqlite_url)), InProcessBus())
    assert relay.linger > 0
    assert not relay.lingers_after(0)
    assert not relay.lingers_after(1)  # one commit at a time: publish at once
    assert relay.lingers_after(2)  # commits coming together: gather them in one batch
    relay.linger = 0
    assert not relay.lingers_after(50)
