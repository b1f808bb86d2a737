"""Replicas of the clients service's data (shared/replicas.py), on SQLite with the
interactions service's tables: carried state is taken whole, older events are ignored, a
replica that starts late learns a client's contacts from the next client event; the access
scope built on them covers what its docstring says, the team whose head the events name."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from services.clients.domain.team import responsible_head
from services.clients.events import (
    CalendarV1,
    ClientContactV1,
    ClientCreatedV1,
    ClientUpdatedV1,
    ContactCreatedV1,
    SlaV1,
    StaffCreatedV1,
)
from services.interactions.app import SPEC as INTERACTIONS
from shared.auth import Caller, Role
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.migrations import migrate
from shared.replicas import REPLICA_HANDLERS, client_replica, client_scope
from shared.uow import UnitOfWorkFactory

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CLIENT = uuid.uuid4()
MANAGER_A, MANAGER_B = uuid.uuid4(), uuid.uuid4()
SLA = SlaV1(
    first_response_minutes=60,
    contact_cadence_days=3,
    meeting_report_hours=24,
    calendar=CalendarV1(timezone="UTC", working_hours="24x7", holidays_country=None),
)


def updated(manager: uuid.UUID, contacts: list[ClientContactV1], **extra: Any) -> ClientUpdatedV1:
    return ClientUpdatedV1(
        client_id=CLIENT,
        name="Acme",
        kind="b2b",
        tier="key",
        status="active",
        account_manager_id=manager,
        account_manager_department=None,
        head_id=None,
        segment=None,
        tags=[],
        country=None,
        timezone="UTC",
        sla=SLA,
        created_at=T0,
        updated_at=T0,
        contacts=contacts,
        changed=["tier"],
        **extra,
    )


DORA = ClientContactV1(
    contact_id=uuid.uuid4(),
    name="Dora",
    email="dora@acme.example",
    phone=None,
    roles=["decision_maker"],
    preferred_channel="email",
)


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
            return (
                await uow.session.execute(
                    select(client_replica).where(client_replica.c.id == CLIENT)
                )
            ).one()

    # the replica never saw client.created nor contact.created: the contact event is skipped
    ben = ContactCreatedV1(
        contact_id=uuid.uuid4(),
        client_id=CLIENT,
        account_manager_id=None,
        name="Ben",
        email=None,
        phone=None,
        position=None,
        roles=["billing"],
        birthday=None,
        preferred_channel=None,
    )
    await apply(ben, T0)
    async with uows() as uow:
        assert (await uow.session.execute(select(client_replica))).all() == []

    # the next client event carries the whole state, contacts included
    await apply(updated(MANAGER_A, [DORA]), T0 + timedelta(minutes=1))
    first = await row()
    assert first.account_manager_id == MANAGER_A
    assert first.contacts == [
        {
            "id": str(DORA.contact_id),
            "name": "Dora",
            "email": "dora@acme.example",
            "phone": None,
            "roles": ["decision_maker"],
            "preferred_channel": "email",
            "birthday": None,
        }
    ]

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

    # an event that carries no contacts (an older producer's) keeps the stored ones
    envelope = updated(MANAGER_A, []).to_cloudevent(time=T0 + timedelta(minutes=4))
    without = envelope.model_copy(
        update={"data": {k: v for k, v in envelope.data.items() if k != "contacts"}}
    )
    async with uows() as uow:
        await REPLICA_HANDLERS[without.type](uow, without)
        await uow.commit()
    latest = await row()
    assert latest.account_manager_id == MANAGER_A
    assert [c["name"] for c in latest.contacts] == ["Dora"]
    await engine.dispose()


async def test_client_scope_on_the_replicas_is_a_heads_team(sqlite_url: str) -> None:
    """A head sees their own clients and those of the staff reporting to them (head_id) or
    sharing their department; a manager their own; an admin all. The head a client event
    names for escalations (``head_id``) always sees that client."""
    await migrate(INTERACTIONS.migrations, sqlite_url)
    engine = create_engine(sqlite_url)
    uows = UnitOfWorkFactory(session_factory(engine), SystemClock())
    ids = {name: uuid.uuid4() for name in ("head", "report", "colleague", "outsider", "top")}
    staff = {  # name: (role, department, head)
        "top": ("head", "board", None),
        "head": ("head", "north", "top"),
        "report": ("manager", "south", "head"),  # reports to head, other department
        "colleague": ("manager", "north", None),  # head's department, no head_id
        "outsider": ("manager", "south", None),
    }
    clients = {name: uuid.uuid4() for name in staff}
    async with uows() as uow:
        for name, (role, department, head) in staff.items():
            event = StaffCreatedV1(
                staff_id=ids[name],
                name=name,
                email=f"{name}@orbit.example",
                role=role,
                department=department,
                head_id=ids[head] if head else None,
                timezone="UTC",
                locale=None,
                active=True,
            )
            await REPLICA_HANDLERS[event.TYPE](uow, event.to_cloudevent(time=T0))
        for name, (role, department, head) in staff.items():
            event = ClientCreatedV1(
                client_id=clients[name],
                name=f"Client of {name}",
                kind="b2b",
                tier="key",
                status="active",
                account_manager_id=ids[name],
                account_manager_department=department,
                head_id=responsible_head(ids[name], role, ids[head] if head else None),
                segment=None,
                tags=[],
                country=None,
                timezone="UTC",
                sla=SLA,
                created_at=T0,
                updated_at=T0,
            )
            await REPLICA_HANDLERS[event.TYPE](uow, event.to_cloudevent(time=T0))
        await uow.commit()

    async def seen(caller: Caller) -> set[str]:
        async with uows() as uow:
            query = select(client_replica.c.id).where(client_scope(caller, client_replica.c.id))
            found = set((await uow.session.scalars(query)).all())
        return {name for name, client_id in clients.items() if client_id in found}

    head = Caller(ids["head"], Role.HEAD, "north")
    assert await seen(head) == {"head", "report", "colleague"}
    assert await seen(head) == {"head", "report", "colleague"}  # the scope built once, reused
    # ... per caller as a whole: the same head moved to another department sees that one's
    moved = Caller(ids["head"], Role.HEAD, "south")
    assert await seen(moved) == {"head", "report", "outsider"}
    assert await seen(Caller(ids["head"], Role.MANAGER, "north")) == {"head"}
    assert await seen(Caller(ids["top"], Role.HEAD, "board")) == {"top", "head"}
    assert await seen(Caller(ids["report"], Role.MANAGER, "south")) == {"report"}
    assert await seen(Caller(uuid.uuid4(), Role.ADMIN)) == set(staff)
    # the escalation head of each client sees it
    for name, (role, _department, head_name) in staff.items():
        escalation = responsible_head(ids[name], role, ids[head_name] if head_name else None)
        if escalation is not None:
            department = next(d for n, (_, d, _) in staff.items() if ids[n] == escalation)
            assert name in await seen(Caller(escalation, Role.HEAD, department)), name
    await engine.dispose()


def test_a_contact_is_found_by_its_phone_or_its_email_in_any_case() -> None:
    from shared.replicas import contact_with

    contacts = [
        {"id": "a", "phone": "+4930111", "email": "Anna@Client.example"},
        {"id": "b", "phone": "+4930222", "email": None},
        {"id": "c", "phone": "+4930222"},
    ]
    assert contact_with(contacts, "phone", "+4930222") == "b"  # the first such contact
    assert contact_with(contacts, "email", " anna@client.EXAMPLE ") == "a"
    assert contact_with(contacts, "email", "bob@client.example") is None
    assert contact_with(contacts, "phone", "") is None  # no number matches no contact
