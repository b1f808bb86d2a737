"""Replicas of the clients service's data (shared/replicas.py), on SQLite with the
interactions service's tables: carried state is taken whole, older events are ignored, a
replica that starts late learns a client's contacts from the next client event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.clients.events import (
    CalendarV1,
    ClientContactV1,
    ClientUpdatedV1,
    ContactCreatedV1,
    SlaV1,
)
from services.interactions.app import SPEC as INTERACTIONS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.migrations import migrate
from shared.replicas import REPLICA_HANDLERS, client_replica
from shared.uow import UnitOfWorkFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CLIENT = uuid.uuid4()
MANAGER_A, MANAGER_B = uuid.uuid4(), uuid.uuid4()
SLA = SlaV1(first_response_minutes=60, contact_cadence_days=3, meeting_report_hours=24,
            calendar=CalendarV1(timezone="UTC", working_hours="24x7", holidays_country=None))


def updated(manager: uuid.UUID, contacts: list[ClientContactV1], **extra: Any) -> ClientUpdatedV1:
    return ClientUpdatedV1(
        client_id=CLIENT, name="Acme", kind="b2b", tier="key", status="active",
        account_manager_id=manager, account_manager_department=None, head_id=None,
        segment=None, tags=[], country=None, timezone="UTC", sla=SLA, created_at=T0,
        updated_at=T0, contacts=contacts, changed=["tier"], **extra,
    )


DORA = ClientContactV1(contact_id=uuid.uuid4(), name="Dora", email="dora@acme.example",
                       phone=None, roles=["decision_maker"], preferred_channel="email")


async def test_late_replica_learns_contacts_and_ignores_older_events(sqlite_url: str) -> None:
    await migrate(INTERACTIONS.migrations, sqlite_url)
    engine = create_engine(sqlite_url)
    uows = UnitOfWorkFactory(session_factory(engine), SystemClock())

    async def apply(event: Any, at: datetime) -> None:
        envelope = event.to_cloudevent(time=at)
        async with uows() as uow:
            await REPLICA_HANDLERS[envelope.type](uow, envelope)
            await uow.commit()

    async def row() -> Any:
        async with uows() as uow:
            return (await uow.session.execute(
                select(client_replica).where(client_replica.c.id == CLIENT))).one()

    # the replica never saw client.created nor contact.created: the contact event is skipped
    ben = ContactCreatedV1(contact_id=uuid.uuid4(), client_id=CLIENT, account_manager_id=None,
                           name="Ben", email=None, phone=None, position=None,
                           roles=["billing"], birthday=None, preferred_channel=None)
    await apply(ben, T0)
    async with uows() as uow:
        assert (await uow.session.execute(select(client_replica))).all() == []

    # the next client event carries the whole state, contacts included
    await apply(updated(MANAGER_A, [DORA]), T0 + timedelta(minutes=1))
    first = await row()
    assert first.account_manager_id == MANAGER_A
    assert first.contacts == [{"id": str(DORA.contact_id), "name": "Dora",
                               "email": "dora@acme.example", "roles": ["decision_maker"],
                               "preferred_channel": "email"}]

    # a contact event adds to them; an older client event (redelivered late) changes nothing
    await apply(ben, T0 + timedelta(minutes=2))
    assert [c["name"] for c in (await row()).contacts] == ["Dora", "Ben"]
    await apply(updated(MANAGER_B, []), T0)
    assert (await row()).account_manager_id == MANAGER_A
    assert [c["name"] for c in (await row()).contacts] == ["Dora", "Ben"]

    # a newer one replaces the state
    await apply(updated(MANAGER_B, [DORA]), T0 + timedelta(minutes=3))
    latest = await row()
    assert latest.account_manager_id == MANAGER_B
    assert [c["name"] for c in latest.contacts] == ["Dora"]
    await engine.dispose()
