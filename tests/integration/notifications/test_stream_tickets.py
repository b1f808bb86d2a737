"""Stream tickets (a browser's ``EventSource`` cannot send ``Authorization``), on SQLite and
PostgreSQL: two processes of the service share one database, as two replicas do in
production. A ticket issued by one opens the stream on the other, once (also when several
requests race for it), and never appears in a log line or in the database; used, expired,
unknown and foreign tickets are a 401 problem+json."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from services.notifications.store.models import StreamTicket
from shared.clock import FixedClock
from tests.integration.notifications.helpers import Notif, Person, sla_breached
from tests.integration.notifications.test_stream import sse_events
from tests.support.apps import auth, running, runtime_of, served, test_settings

pytestmark = pytest.mark.integration
STREAM = "/api/v1/notifications/stream"
TICKETS = "/api/v1/notifications/stream-tickets"
NOT_THE_SERVICE = {"httpx", "uvicorn.access"}


@dataclass
class Replicas:
    """Two notifications apps on one database and one clock, each also served over real HTTP
    (``urls``: a stream that opens needs a server that streams, not the in-process client)."""

    a: Notif
    b: Notif
    urls: tuple[str, str]
    clock: FixedClock

    async def ticket(self, person: Person, on: Notif | None = None) -> str:
        response = await (on or self.a).http.post(TICKETS, headers=person.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["ticket"])


def notifications_app(url: str, clock: FixedClock) -> FastAPI:
    settings = test_settings(database_url=url).model_dump() | {
        "notifications_stream_poll_seconds": 0.05
    }
    return create_app(
        NotificationsSettings(**settings), clock=clock, migrate_on_start=True, workers=False
    )


@pytest.fixture
async def replicas(any_db_url: str) -> AsyncIterator[Replicas]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    app_a, app_b = notifications_app(any_db_url, clock), notifications_app(any_db_url, clock)
    async with (
        running(app_a) as http_a,
        running(app_b) as http_b,
        served(app_a) as url_a,
        served(app_b) as url_b,
    ):
        yield Replicas(
            Notif(http_a, runtime_of(app_a, "notifications"), clock),
            Notif(http_b, runtime_of(app_b, "notifications"), clock),
            (url_a, url_b),
            clock,
        )


def assert_401(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"]


async def test_a_ticket_of_one_replica_opens_the_stream_once_on_the_other(
    replicas: Replicas, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ida = await replicas.a.staff("Ida")
    client = await replicas.a.client("Initech", ida)
    issued = await replicas.b.http.post(TICKETS, headers=ida.headers)
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    ticket = issued.json()["ticket"]
    expires = datetime.fromisoformat(issued.json()["expires_at"])
    assert expires == replicas.clock.now() + timedelta(seconds=60)
    async with replicas.b.runtime.reads() as session:
        [stored] = list(await session.scalars(select(StreamTicket)))
    assert stored.staff_id == ida.id and stored.used_at is None
    assert ticket not in {stored.digest, str(stored.staff_id)}

    async with (
        httpx.AsyncClient(base_url=replicas.urls[0], timeout=30) as http,
        http.stream("GET", STREAM, params={"ticket": ticket}) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == "retry: 2000"  # the stream has started
        event = await replicas.b.deliver(
            "orbit.interactions.sla.breached.v1", sla_breached(client, ida)
        )
        [got] = await asyncio.wait_for(sse_events(lines, 1), 10)
    assert got["data"]["event_id"] == str(event.id)

    for replica in (replicas.a, replicas.b):
        again = await replica.http.get(STREAM, params={"ticket": ticket})
        assert_401(again, "already used")
    # The ticket is in no line the service logs (its request lines log the path alone).
    # httpx's lines are this test's client's; uvicorn's access log (pytest captures it) is off
    # in `orbit serve` and `orbit run`, whose real log tests/e2e/test_browser.py reads.
    logged = [r.getMessage() for r in caplog.records if r.name not in NOT_THE_SERVICE]
    assert any(STREAM in line for line in logged)
    assert not [line for line in logged if ticket in line]


async def test_of_requests_racing_for_one_ticket_exactly_one_opens_a_stream(
    replicas: Replicas,
) -> None:
    ida = await replicas.a.staff("Ida")
    ticket = await replicas.ticket(ida)
    async with (
        httpx.AsyncClient(base_url=replicas.urls[0], timeout=30) as served_a,
        httpx.AsyncClient(base_url=replicas.urls[1], timeout=30) as served_b,
    ):

        async def open_stream(http: httpx.AsyncClient) -> int:
            async with http.stream("GET", STREAM, params={"ticket": ticket}) as stream:
                if stream.status_code == 401:
                    await stream.aread()
                    assert "already used" in stream.text
                return stream.status_code

        statuses = await asyncio.gather(*(open_stream(h) for h in [served_a, served_b] * 4))
    assert sorted(statuses) == [200] + [401] * 7


async def test_unknown_expired_foreign_and_missing_tickets_are_refused(
    replicas: Replicas,
) -> None:
    ida, bob = await replicas.a.staff("Ida"), await replicas.a.staff("Bob")
    http = replicas.a.http
    assert_401(await http.get(STREAM, params={"ticket": "made-up"}), "unknown stream ticket")
    assert_401(await http.get(STREAM), "missing bearer token")
    assert_401(await http.post(TICKETS), "missing bearer token")

    foreign = await replicas.ticket(ida)
    response = await http.get(STREAM, params={"ticket": foreign}, headers=bob.headers)
    assert_401(response, "another staff member")

    expiring = await replicas.ticket(ida)
    replicas.clock.advance(timedelta(seconds=60))
    assert_401(await http.get(STREAM, params={"ticket": expiring}), "expired")

    # Issuing a ticket deletes the expired ones (used or not): they are unknown from then on.
    stale = await replicas.ticket(ida)
    replicas.clock.advance(timedelta(seconds=61))
    await replicas.ticket(bob)
    assert_401(await http.get(STREAM, params={"ticket": stale}), "unknown stream ticket")
    async with replicas.a.runtime.reads() as session:
        assert [t.staff_id for t in await session.scalars(select(StreamTicket))] == [bob.id]


async def test_a_ticket_of_a_member_deactivated_since_is_refused(replicas: Replicas) -> None:
    ida = await replicas.a.staff("Ida")
    ticket = await replicas.ticket(ida)
    await replicas.a.deliver(
        "orbit.clients.staff.updated.v1",
        {
            "staff_id": str(ida.id),
            "name": "Ida",
            "email": ida.email,
            "role": "manager",
            "department": "sales",
            "head_id": None,
            "timezone": "UTC",
            "locale": None,
            "active": False,
        },
    )
    assert_401(await replicas.b.http.get(STREAM, params={"ticket": ticket}), "not active")


async def test_an_admin_without_a_staff_record_streams_with_a_ticket(replicas: Replicas) -> None:
    admin_id = uuid.uuid4()
    admin = Person(admin_id, auth(admin_id, "admin"), "")
    ticket = await replicas.ticket(admin)
    async with (
        httpx.AsyncClient(base_url=replicas.urls[1], timeout=30) as http,
        http.stream("GET", STREAM, params={"ticket": ticket}, headers=admin.headers) as stream,
    ):
        assert stream.status_code == 200


async def test_a_new_stream_resumes_after_the_query_s_last_event_id(replicas: Replicas) -> None:
    """An EventSource cannot send Last-Event-ID when it is opened: ``?last_event_id=`` does
    the same (the header, when sent, wins)."""
    ida = await replicas.a.staff("Ida")
    client = await replicas.a.client("Initech", ida)
    sent = []
    for kind in ("sla.at_risk", "sla.breached", "task.overdue"):
        replicas.clock.advance(timedelta(seconds=1))  # the stream's order: time, then id
        sent.append(
            await replicas.a.deliver(f"orbit.interactions.{kind}.v1", sla_breached(client, ida))
        )
    feed = {n["event_id"]: n["id"] for n in await replicas.a.feed(ida)}
    first, second = feed[str(sent[0].id)], feed[str(sent[1].id)]

    async def resumed(params: dict[str, str], headers: dict[str, str]) -> list[str]:
        params = params | {"ticket": await replicas.ticket(ida)}
        async with (
            httpx.AsyncClient(base_url=replicas.urls[1], timeout=30) as http,
            http.stream("GET", STREAM, params=params, headers=headers) as stream,
        ):
            got = await asyncio.wait_for(
                sse_events(stream.aiter_lines(), 2 if not headers else 1), 10
            )
        return [g["data"]["event_id"] for g in got]

    assert await resumed({"last_event_id": first}, {}) == [str(e.id) for e in sent[1:]]
    by_header = await resumed({"last_event_id": first}, {"Last-Event-ID": second})
    assert by_header == [str(sent[2].id)]
