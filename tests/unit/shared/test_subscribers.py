"""Subscriber maps composed one way (shared/subscribers.py): every type of every map, the
reactions in the maps' order in one unit of work; a tolerant reaction that cannot read an
event is rolled back to its savepoint and left out, a database error still fails the event.
On SQLite with the interactions service's tables (the staff replica as the written row)."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.interactions.app import SPEC as INTERACTIONS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.migrations import migrate
from shared.replicas import staff_replica
from shared.subscribers import chain, compose, tolerant
from shared.uow import UnitOfWork, UnitOfWorkFactory

T0 = SystemClock().now()  # when the events happen: any instant (nothing compares it)


def event(event_type: str) -> CloudEvent:
    return CloudEvent(id=uuid.uuid4(), source="/test", type=event_type, time=T0)


def recorder(seen: list[str], name: str) -> EventHandler:
    async def reaction(uow: UnitOfWork, ev: CloudEvent) -> None:
        seen.append(f"{name}:{ev.type}")

    return reaction


async def test_compose_runs_every_map_that_names_a_type_in_order() -> None:
    seen: list[str] = []
    first = {"a": recorder(seen, "first"), "b": recorder(seen, "first")}
    second = {"b": recorder(seen, "second"), "c": recorder(seen, "second")}
    third = {"b": recorder(seen, "third")}
    composed = compose(first, second, third)
    assert list(composed) == ["a", "b", "c"]
    for event_type in ("a", "b", "c"):
        await composed[event_type](None, event(event_type))  # type: ignore[arg-type]
    assert seen == ["first:a", "first:b", "second:b", "third:b", "second:c"]
    # one reaction is itself, not a wrapper
    assert composed["a"] is first["a"] and chain(first["a"]) is first["a"]


def staff_row(staff_id: uuid.UUID) -> dict[str, object]:
    return {
        "id": staff_id,
        "name": "Ann",
        "email": f"{staff_id}@example.com",
        "timezone": "UTC",
        "role": "manager",
        "department": None,
        "head_id": None,
        "active": True,
        "source_time": T0,
    }


@pytest.fixture
async def uows(sqlite_url: str) -> UnitOfWorkFactory:
    await migrate(INTERACTIONS.migrations, sqlite_url)
    return UnitOfWorkFactory(session_factory(create_engine(sqlite_url)), SystemClock())


async def staff_count(uows: UnitOfWorkFactory) -> int:
    async with uows() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(staff_replica)) or 0)


async def test_a_tolerant_reaction_that_cannot_read_the_event_is_left_out(
    uows: UnitOfWorkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    kept, dropped = uuid.uuid4(), uuid.uuid4()

    async def first(uow: UnitOfWork, ev: CloudEvent) -> None:
        await uow.session.execute(staff_replica.insert().values(**staff_row(kept)))

    async def unreadable(uow: UnitOfWork, ev: CloudEvent) -> None:
        await uow.session.execute(staff_replica.insert().values(**staff_row(dropped)))
        ev.data["missing"]

    reaction = compose({"t": first}, {"t": tolerant(unreadable, "the projection")})["t"]
    with caplog.at_level(logging.WARNING, logger="orbit.subscribers"):
        async with uows() as uow:
            await reaction(uow, event("t"))
            await uow.commit()
    assert await staff_count(uows) == 1  # the first reaction's row, not the left-out one's
    assert "the projection: t" in caplog.text and "left out" in caplog.text


async def test_a_tolerant_reaction_still_fails_the_event_on_a_database_error(
    uows: UnitOfWorkFactory,
) -> None:
    same = uuid.uuid4()

    async def insert(uow: UnitOfWork, ev: CloudEvent) -> None:
        await uow.session.execute(staff_replica.insert().values(**staff_row(same)))

    reaction = compose({"t": insert}, {"t": tolerant(insert, "the projection")})["t"]
    with pytest.raises(IntegrityError):
        async with uows() as uow:
            await reaction(uow, event("t"))
    assert await staff_count(uows) == 0
