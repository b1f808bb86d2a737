"""The live stream is pushed, on SQLite (``orbit run``: woken in-process after the commit) and
PostgreSQL (LISTEN/NOTIFY): with the safety read set to an hour, a notification still reaches
an open stream; a resume after an entry sharing its exact timestamp with the next one sends
that next one (the cursor is the order entries became visible, not (created_at, id)); a lost
LISTEN connection is opened again and what committed meanwhile is sent."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, text

from services.notifications import stream as live
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from services.notifications.store.models import Notification
from shared.clock import FixedClock
from tests.integration.notifications.helpers import NOW, Notif, Person, sla_breached
from tests.integration.notifications.test_stream import sse_events
from tests.support.apps import running, runtime_of, served, test_settings
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration
STREAM = "/api/v1/notifications/stream"
SLA = "orbit.interactions.sla.breached.v1"
# Nothing arrives by the safety read: only a push delivers within the test.
HOUR = 3600


@dataclass
class Served:
    notif: Notif
    api: httpx.AsyncClient

    @property
    def hub(self) -> live.FeedHub:
        return live.feed_hub(self.notif.runtime)


@pytest.fixture
async def pushed(any_db_url: str) -> AsyncIterator[Served]:
    settings = test_settings(database_url=any_db_url).model_dump() | {
        "notifications_stream_poll_seconds": HOUR,
        "notifications_report_periods": [],
    }
    clock = FixedClock(NOW)
    app = create_app(
        NotificationsSettings(**settings), clock=clock, migrate_on_start=True, workers=False
    )
    async with (
        running(app) as http,
        served(app) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as api,
    ):
        yield Served(Notif(http, runtime_of(app, "notifications"), clock), api)


async def _open(api: httpx.AsyncClient, person: Person, **headers: str) -> Any:
    stream = api.stream("GET", STREAM, headers=person.headers | headers)
    response = await stream.__aenter__()
    assert response.status_code == 200
    lines = response.aiter_lines()
    assert await anext(lines) == "retry: 2000"
    return stream, lines


async def test_a_notification_is_pushed_to_an_open_stream(pushed: Served) -> None:
    notif = pushed.notif
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    stream, lines = await _open(pushed.api, ida)
    try:
        event = await notif.deliver(SLA, sla_breached(client, ida))
        [got] = await asyncio.wait_for(sse_events(lines, 1), 20)
        assert got["data"]["event_id"] == str(event.id)
        assert got["id"] == got["data"]["id"]
    finally:
        await stream.__aexit__(None, None, None)
    await eventually(_closed(pushed.hub), what="the stream to leave the hub")


async def test_resume_between_entries_of_one_instant(pushed: Served) -> None:
    """Two entries with the same created_at, the later-written one with the smaller id (the
    order (created_at, id) would put it first): resuming after the first sends the second."""
    notif = pushed.notif
    ida = await notif.staff("Ida")
    first = uuid.UUID(int=(1 << 127) + 1, version=4)
    second = uuid.UUID(int=1, version=4)
    assert second < first
    for entry in (first, second):
        await _write([_entry(entry, ida)], notif)
    stream, lines = await _open(pushed.api, ida, **{"Last-Event-ID": str(first)})
    try:
        [got] = await asyncio.wait_for(sse_events(lines, 1), 20)
        assert got["id"] == str(second)
    finally:
        await stream.__aexit__(None, None, None)
    # and a resume after the second sends nothing before what comes next
    stream, lines = await _open(pushed.api, ida, **{"Last-Event-ID": str(second)})
    try:
        third = uuid.uuid4()
        await _write([_entry(third, ida)], notif)
        [got] = await asyncio.wait_for(sse_events(lines, 1), 20)
        assert got["id"] == str(third)
    finally:
        await stream.__aexit__(None, None, None)


async def _write(entries: list[dict[str, Any]], notif: Notif) -> None:
    """Entries written in one transaction, as a rule with several recipients writes them."""
    async with notif.runtime.uow() as uow:
        await uow.session.execute(insert(Notification), entries)
        await uow.commit()


def _entry(entry_id: uuid.UUID, person: Person) -> dict[str, Any]:
    return {
        "id": entry_id,
        "recipient_id": person.id,
        "type": SLA,
        "severity": "critical",
        "title": "t",
        "body": "b",
        "client_id": None,
        "event_id": uuid.uuid4(),
        "created_at": NOW,
    }


async def test_a_lost_listen_connection_loses_nothing(pg_url: str) -> None:
    settings = test_settings(database_url=pg_url).model_dump() | {
        "notifications_stream_poll_seconds": HOUR,
        "notifications_report_periods": [],
    }
    app = create_app(
        NotificationsSettings(**settings),
        clock=FixedClock(NOW),
        migrate_on_start=True,
        workers=False,
    )
    async with running(app) as http, served(app) as url, httpx.AsyncClient(base_url=url) as api:
        notif = Notif(http, runtime_of(app, "notifications"), FixedClock(NOW))
        ida = await notif.staff("Ida")
        client = await notif.client("Initech", ida)
        hub = live.feed_hub(notif.runtime)
        stream, lines = await _open(api, ida)
        try:
            await eventually(_listening(hub), what="the LISTEN connection")
            async with notif.runtime.engine.connect() as conn:
                killed = await conn.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = 'orbit-notifications-listen' "
                        "AND datname = current_database()"
                    )
                )
            assert killed == 1
            # written while no connection listens (the hub backs off before reconnecting)
            event = await notif.deliver(SLA, sla_breached(client, ida))
            [got] = await asyncio.wait_for(sse_events(lines, 1), 20)
            assert got["data"]["event_id"] == str(event.id)
            assert hub.listening.is_set()
        finally:
            await stream.__aexit__(None, None, None)


def _listening(hub: live.FeedHub) -> Any:
    async def probe() -> bool:
        return hub.listening.is_set()

    return probe


def _closed(hub: live.FeedHub) -> Any:
    async def probe() -> bool:
        return hub.streams == 0

    return probe


async def test_one_transaction_for_many_streams(pushed: Served) -> None:
    """One transaction writes an entry for two people: each of their streams gets its own,
    a second stream of the same person resumed further back gets its backlog first (one read
    serves streams with different cursors), and a backlog longer than one read's share
    arrives whole."""
    notif = pushed.notif
    ida, max_ = await notif.staff("Ida"), await notif.staff("Max")
    backlog = [uuid.uuid4() for _ in range(live.PER_RECIPIENT + 5)]
    await _write([_entry(i, ida) for i in backlog], notif)
    resumed, r_lines = await _open(pushed.api, ida, **{"Last-Event-ID": str(backlog[0])})
    fresh, f_lines = await _open(pushed.api, ida)
    other, o_lines = await _open(pushed.api, max_)
    try:
        together = [_entry(uuid.uuid4(), ida), _entry(uuid.uuid4(), max_)]
        await _write(together, notif)
        got = await asyncio.wait_for(sse_events(r_lines, len(backlog)), 20)
        assert [g["id"] for g in got] == [str(i) for i in [*backlog[1:], together[0]["id"]]]
        [mine] = await asyncio.wait_for(sse_events(f_lines, 1), 20)
        [theirs] = await asyncio.wait_for(sse_events(o_lines, 1), 20)
        assert (mine["id"], theirs["id"]) == (str(together[0]["id"]), str(together[1]["id"]))
    finally:
        for stream in (resumed, fresh, other):
            await stream.__aexit__(None, None, None)
