"""``GET /api/v1/search`` on SQLite (FTS5) and on the real PostgreSQL (full text in
``russian`` and ``english``, pg_trgm): documents kept from the events, word forms, typos,
phones, invoice numbers, and never another manager's clients."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from services.notifications.handlers.scorecard.rebuild import rebuild
from services.notifications.handlers.search import SEARCH_SUBSCRIBERS
from services.notifications.store.search import plan_each_query, search_documents
from services.notifications.store.timeline import timeline_clients
from shared.messaging.envelope import CloudEvent
from shared.replica_store import client_replica, fill_manager_copies
from tests.integration.notifications.helpers import ADMIN, NOW, Notif, Person, invoice_data
from tests.support.kafka import create_topics, unique_service_name


async def find(
    notif: Notif, person: Person | dict[str, str], q: str, **params: Any
) -> list[dict[str, Any]]:
    headers = person if isinstance(person, dict) else person.headers
    response = await notif.http.get("/api/v1/search", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["id"] for i in items]


async def contact_client(
    notif: Notif, name: str, manager: Person, phone: str, email: str
) -> tuple[uuid.UUID, str]:
    contact_id = str(uuid.uuid4())
    client_id = await notif.client(
        name, manager, contacts=[{"id": contact_id, "name": "Мария Петрова", "email": email}]
    )
    data = {
        "contact_id": contact_id,
        "client_id": str(client_id),
        "account_manager_id": str(manager.id),
        "name": "Мария Петрова",
        "email": email,
        "phone": phone,
        "position": "Главный бухгалтер",
        "roles": ["billing"],
        "birthday": None,
        "preferred_channel": None,
    }
    notif.clock.advance(timedelta(seconds=1))
    await notif.deliver("orbit.clients.contact.updated.v1", data)
    return client_id, contact_id


async def interaction_event(
    notif: Notif,
    client_id: uuid.UUID,
    manager: Person,
    subject: str,
    summary: str = "",
    at: datetime = NOW,
) -> CloudEvent:
    return await notif.deliver(
        "orbit.interactions.interaction.logged.v1",
        {
            "client_id": str(client_id),
            "client_name": None,
            "account_manager_id": str(manager.id),
            "account_manager_department": "sales",
            "head_id": None,
            "interaction_id": str(uuid.uuid4()),
            "type": "call",
            "direction": "outbound",
            "occurred_at": at.isoformat(),
            "subject": subject,
            "summary": summary,
            "contact_ids": [],
            "requires_response": False,
            "missed": False,
            "responds_to": None,
            "promise_by": None,
            "author_id": str(manager.id),
            "request_id": None,
            "is_contact": True,
        },
    )


async def interaction(
    notif: Notif,
    client_id: uuid.UUID,
    manager: Person,
    subject: str,
    summary: str,
    at: datetime = NOW,
) -> str:
    event = await interaction_event(notif, client_id, manager, subject, summary, at)
    return str(event.data["interaction_id"])


async def test_words_names_phones_and_numbers(any_notif: Notif) -> None:
    notif = any_notif
    anna = await notif.staff("Anna")
    acme = await notif.client("Acme Corporation", anna)
    other = await notif.client("Globex", anna)
    call = await interaction(
        notif, acme, anna, "Звонок", "Обсудили договор поставки и сроки оплаты"
    )
    note = await interaction(
        notif, other, anna, "Renewal", "The customer is renewing the contracts for next year"
    )
    assert ids(await find(notif, anna, "договоры")) == [call]  # Russian word forms
    assert ids(await find(notif, anna, "contract renewed")) == [note]  # English word forms
    typo = await find(notif, anna, "Acme Corporatoin")
    assert [(i["type"], i["id"]) for i in typo][:1] == [("client", str(acme))]
    hit = (await find(notif, anna, "поставка"))[0]
    assert hit["client_id"] == str(acme) and "договор поставки" in hit["snippet"]

    client_id, contact_id = await contact_client(
        notif, "Ромашка", anna, "+79123456789", "m.petrova@romashka.example"
    )
    for written in ("+7 (912) 345-67-89", "89123456789", "8 912 345 67 89", "+79123456789"):
        found = await find(notif, anna, written, types="contact")
        assert ids(found) == [contact_id], written
    assert ids(await find(notif, anna, "M.Petrova@romashka.example")) == [contact_id]
    assert ids(await find(notif, anna, "бухгалтер", types="contact")) == [contact_id]

    invoice = invoice_data(client_id, anna, number="INV-2026-000042", status="issued")
    await notif.deliver("orbit.billing.invoice.issued.v1", invoice)
    assert ids(await find(notif, anna, "INV-2026-000042"))[:1] == [invoice["invoice_id"]]
    assert ids(await find(notif, anna, "inv-2026-0000", types="invoice")) == [invoice["invoice_id"]]
    assert await find(notif, anna, "INV-2026-000042", types="interaction") == []


async def test_kept_current_and_idempotent(any_notif: Notif) -> None:
    notif = any_notif
    anna = await notif.staff("Anna")
    contact_id = str(uuid.uuid4())
    client_id = await notif.client(
        "Initech", anna, contacts=[{"id": contact_id, "name": "Peter Gibbons"}]
    )
    assert ids(await find(notif, anna, "Gibbons")) == [contact_id]
    report = {
        "client_id": str(client_id),
        "client_name": "Initech",
        "account_manager_id": str(anna.id),
        "account_manager_department": "sales",
        "head_id": None,
        "interaction_id": str(uuid.uuid4()),
        "subject": "Quarterly review",
        "occurred_at": NOW.isoformat(),
        "author_id": str(anna.id),
        "contact_ids": [],
        "report_due_at": NOW.isoformat(),
        "contacts": [],
        "summary": "Agreed on the migration plan",
        "decisions": ["Move the TPS reports online"],
        "next_steps": ["Send the quote"],
        "submitted_by": str(anna.id),
        "submitted_at": NOW.isoformat(),
        "on_time": True,
    }
    event_id = uuid.uuid4()
    for _ in range(2):  # redelivered: one document
        await notif.deliver(
            "orbit.interactions.meeting.report_submitted.v1", report, event_id=event_id
        )
    await notif.deliver("orbit.interactions.meeting.report_submitted.v1", report)
    found = await find(notif, anna, "TPS reports")
    assert [(i["type"], i["id"]) for i in found] == [("meeting_report", report["interaction_id"])]

    invoice = invoice_data(client_id, anna, number="A-17", status="issued")
    await notif.deliver("orbit.billing.invoice.issued.v1", invoice)
    notif.clock.advance(timedelta(minutes=1))
    await notif.deliver("orbit.billing.invoice.voided.v1", {**invoice, "status": "void"})
    assert [i["title"] for i in await find(notif, anna, "A-17", types="invoice")] == [
        "Invoice A-17"
    ]
    assert ids(await find(notif, anna, "void", types="invoice")) == [invoice["invoice_id"]]

    # the client no longer lists the contact: gone from search
    notif.clock.advance(timedelta(minutes=1))
    await notif.client("Initech Ltd", anna, client_id=client_id)
    assert await find(notif, anna, "Gibbons") == []
    assert ids(await find(notif, anna, "Initech Ltd", types="client")) == [str(client_id)]


async def test_scoped_to_the_callers_clients(any_notif: Notif) -> None:
    notif = any_notif
    head = await notif.staff("Helga", role="head")
    anna = await notif.staff("Anna", head=head)
    boris = await notif.staff("Boris")
    mine = await notif.client("Acme Corporation", anna)
    theirs = await notif.client("Acme Industries", boris)
    await interaction(notif, theirs, boris, "Acme secret", "Acme pricing for Boris only")
    await interaction(notif, mine, anna, "Acme call", "Acme pricing for Anna")

    assert {i["client_id"] for i in await find(notif, anna, "Acme")} == {str(mine)}
    assert {i["client_id"] for i in await find(notif, boris, "Acme")} == {str(theirs)}
    assert await find(notif, boris, "Acme Corporation") == []  # Anna's client, by name
    for person in (head, ADMIN):  # Boris is of Helga's department too
        assert {i["client_id"] for i in await find(notif, person, "acme pricing")} == {
            str(mine),
            str(theirs),
        }


async def test_a_reassigned_clients_documents_move_to_the_new_manager(any_notif: Notif) -> None:
    """A document keeps its client's account manager (the scope's column): the client
    given to another manager, every document of it follows, before its own next event."""
    notif = any_notif
    anna, boris = await notif.staff("Anna"), await notif.staff("Boris")
    client_id = await notif.client("Globex", anna)
    logged = await interaction(notif, client_id, anna, "Hammock delivery", "Hammocks in May")
    assert ids(await find(notif, anna, "hammocks")) == [logged]

    notif.clock.advance(timedelta(minutes=1))
    await notif.client("Globex", boris, client_id=client_id)
    assert await find(notif, anna, "hammocks") == []
    assert await find(notif, anna, "Globex") == []
    assert ids(await find(notif, boris, "hammocks")) == [logged]
    assert ids(await find(notif, boris, "Globex", types="client")) == [str(client_id)]


async def test_documents_before_their_client_get_its_manager(any_notif: Notif) -> None:
    """An interaction's event may come before its client's (other topics): its document has
    no manager until the client arrives, which gives it one; a document the client's event
    missed (written meanwhile, or by a version before the copy) the runtime's round fills."""
    notif = any_notif
    anna = await notif.staff("Anna")
    client_id = uuid.uuid4()
    logged = await interaction(notif, client_id, anna, "Early call", "Kiosk rollout early")
    assert await find(notif, anna, "kiosk") == []
    assert ids(await find(notif, ADMIN, "kiosk")) == [logged]

    await notif.client("Umbrella", anna, client_id=client_id)
    assert ids(await find(notif, anna, "kiosk")) == [logged]

    copies = notif.runtime.spec.manager_copies
    assert search_documents in copies
    async with notif.runtime.uow() as uow:
        await uow.session.execute(search_documents.update().values(account_manager_id=None))
        await uow.commit()
    assert await find(notif, anna, "kiosk") == []
    async with notif.runtime.uow() as uow:
        assert await fill_manager_copies(uow.session, [search_documents]) == 2  # client, call
        await uow.commit()
    assert ids(await find(notif, anna, "kiosk")) == [logged]


async def test_a_document_written_while_its_client_moves_takes_the_new_manager(
    notif: Notif,
) -> None:
    """PostgreSQL: a client event gives the client to Boris (its replica row and the copies of
    its documents, not committed yet) while an interaction of the client is being written. The
    interaction's document waits for the client's row and takes Boris, not the manager it
    would have read a moment before: Anna never finds it (the copies' update could not see a
    document not committed yet). The interaction's unit of work waits holding no row of the
    client's yet, so the client event's next writes (the timeline's row of the client, which
    the interaction also writes) go on: no deadlock."""
    anna, boris = await notif.staff("Anna"), await notif.staff("Boris")
    client_id = await notif.client("Hooli", anna)
    earlier = NOW - timedelta(hours=2)  # the client's timeline row, with a last contact
    await interaction(notif, client_id, anna, "Intro call", "Pied Piper intro", earlier)
    async with notif.runtime.engine.connect() as moving:
        await moving.execute(
            client_replica.update()
            .where(client_replica.c.id == client_id)
            .values(account_manager_id=boris.id)
        )
        await moving.execute(
            search_documents.update()
            .where(search_documents.c.client_id == client_id)
            .values(account_manager_id=boris.id)
        )
        writing = asyncio.ensure_future(
            interaction(notif, client_id, anna, "Nucleus demo", "Middle-out compression")
        )
        waits = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE '%FOR SHARE%'"
        )
        async with notif.runtime.engine.connect() as watching:
            for _ in range(200):  # the document's write waits for the client's row
                if writing.done() or await watching.scalar(waits):
                    break
                await asyncio.sleep(0.02)
        assert not writing.done()
        await moving.execute(text("SET LOCAL lock_timeout = '5s'"))
        await moving.execute(
            timeline_clients.update()
            .where(timeline_clients.c.client_id == client_id)
            .values(last_contact_at=earlier)
        )
        await moving.commit()
    logged = await writing
    assert await find(notif, anna, "compression") == []
    assert ids(await find(notif, boris, "compression")) == [logged]


@pytest.mark.parametrize(
    ("params", "where"),
    [({"q": "  "}, "q"), ({"q": "acme", "types": "client,deal"}, "types"), ({}, "q")],
)
async def test_refused(any_notif: Notif, params: dict[str, str], where: str) -> None:
    anna = await any_notif.staff("Anna")
    response = await any_notif.http.get("/api/v1/search", params=params, headers=anna.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert where in response.text


async def test_a_search_plans_for_its_words_with_room_for_exact_bitmaps(notif: Notif) -> None:
    """PostgreSQL: the settings a search plans with hold for its statements on the read
    session it runs on (autocommit: a setting local to a transaction that never began would
    end with its own statement), and end with it."""
    async with notif.runtime.reads() as session:
        before = await session.scalar(text("SHOW work_mem"))
    async with notif.runtime.reads() as session:
        await plan_each_query(session)
        assert await session.scalar(text("SHOW work_mem")) == "16MB"
        assert await session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    # the next read (one at a time here: on the same pooled connection) plans as before
    async with notif.runtime.reads() as session:
        assert await session.scalar(text("SHOW plan_cache_mode")) == "auto"
        assert await session.scalar(text("SHOW work_mem")) == before != "16MB"


async def test_rebuilt_from_kafka(notif: Notif, kafka: str) -> None:
    """``orbit search rebuild``: the documents emptied and read again from the topics."""
    anna = await notif.staff("Anna")
    client_id = await notif.client("Initech", anna)
    topic = f"{unique_service_name()}.interactions"
    await create_topics(kafka, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        for subject in ("TPS reports", "Stapler"):
            event = await interaction_event(notif, client_id, anna, subject)
            await producer.send_and_wait(topic, event.to_json(), key=str(client_id).encode())
    finally:
        await producer.stop()
    async with notif.runtime.uow() as uow:
        await uow.session.execute(
            search_documents.delete().where(search_documents.c.title == "Stapler")
        )
        await uow.commit()
    assert await find(notif, anna, "stapler") == []
    result = await rebuild(
        notif.runtime.uow,
        kafka,
        topics=[topic],
        handlers=SEARCH_SUBSCRIBERS,
        tables=(search_documents,),
    )
    assert (result.read, result.applied, result.failed) == (2, 2, 0)
    assert [i["title"] for i in await find(notif, anna, "stapler")] == ["Stapler"]
    assert await find(notif, anna, "Initech") == []  # only the topics read are rebuilt
