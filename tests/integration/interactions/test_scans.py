"""The scans on PostgreSQL: each alert exactly once across two concurrent scanners (their own
engines, as two replicas of the service) and repeated runs, in small batches; what a scan
must not alert (answered, on hold, inactive clients); alerts again after a new lapse; the
warnings ahead of a deadline (task.due_soon, client.contact_due_soon) at the default
leads."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.interactions.workers import BREACHES, SCANS
from shared.db import create_engine, session_factory
from shared.tables import outbox, scheduled_alerts
from shared.uow import UnitOfWorkFactory
from tests.integration.interactions.helpers import ADMIN, NOW, Api, api_of, iso

pytestmark = pytest.mark.integration


@pytest.fixture
def api(any_api: Api) -> Api:
    """Each test here runs on SQLite (the embedded mode) and on PostgreSQL."""
    return any_api


@pytest.fixture
async def replicas(api: Api) -> AsyncIterator[list[UnitOfWorkFactory]]:
    """Two more replicas of the service's scans on the same database (own engines)."""
    engines = [create_engine(api.runtime.database_url) for _ in range(2)]
    yield [UnitOfWorkFactory(session_factory(e), api.clock) for e in engines]
    for engine in engines:
        await engine.dispose()


@pytest.fixture
async def pg_api(pg_url: str) -> AsyncIterator[Api]:
    """The app on PostgreSQL only (row locks are what is tested)."""
    async with api_of(pg_url) as api:
        yield api


@pytest.fixture
async def replicas_pg(pg_api: Api) -> AsyncIterator[list[UnitOfWorkFactory]]:
    engines = [create_engine(pg_api.runtime.database_url) for _ in range(2)]
    yield [UnitOfWorkFactory(session_factory(e), pg_api.clock) for e in engines]
    for engine in engines:
        await engine.dispose()


async def run_scans(
    factories: list[UnitOfWorkFactory], api: Api, *, rounds: int = 3, batch_size: int = 2
) -> None:
    now = api.clock.now()
    for _ in range(rounds):
        await asyncio.gather(
            *(job(factory, now, batch_size) for factory in factories for job in SCANS.values())
        )


async def alerts(api: Api) -> Counter[str]:
    types = await api.event_types()
    return Counter(
        t
        for t in types
        if t
        not in (
            "interaction.logged",
            "request.opened",
            "request.answered",
            "meeting.report_submitted",
            "task.deadline_moved",
            "task.assigned",
            "task.completed",
            "feedback.received",
            "request.held",
            "request.resumed",
        )
    )


async def test_each_alert_once_across_two_concurrent_scanners(
    api: Api,
    replicas: list[UnitOfWorkFactory],
) -> None:
    mia = await api.staff("Mia", "manager", "north")
    clients = [
        await api.client(
            f"Client {i}", mia, first_response_minutes=60, cadence_days=3, report_hours=24
        )
        for i in range(3)
    ]
    requests = [await api.log(mia.headers, c, requires_response=True) for c in clients]
    requests.append(
        await api.log(
            mia.headers,
            clients[0],
            requires_response=True,
            occurred_at=iso(NOW - timedelta(minutes=1)),
        )
    )
    # the fourth is acknowledged with a promise due in 2 hours
    promised = requests.pop()
    await api.log(
        mia.headers,
        clients[0],
        direction="outbound",
        responds_to=promised["id"],
        promise_by=iso(NOW + timedelta(hours=2)),
    )
    await api.log(
        mia.headers,
        clients[1],
        type="meeting",
        direction="outbound",
        occurred_at=iso(NOW - timedelta(hours=1)),
    )
    task = await api.http.post(
        "/api/v1/tasks",
        headers=mia.headers,
        json={
            "client_id": clients[2].id,
            "title": "Send the offer",
            "assignee_id": mia.id,
            "due_at": iso(NOW + timedelta(days=1)),
        },
    )
    assert task.status_code == 201

    # 50 minutes in: three requests at risk (45 of 60 minutes), the task due within 24 hours
    api.advance(minutes=50)
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter({"sla.at_risk": 3, "task.due_soon": 1})
    (due_soon,) = await api.events("task.due_soon")
    assert due_soon["hours_left"] == 24 and due_soon["assignee_id"] == mia.id
    at_risk = await api.events("sla.at_risk")
    assert {e["request_id"] for e in at_risk} == {r["request_id"] for r in requests}
    assert all(e["minutes_left"] == 10 and e["elapsed_fraction"] > 0.8 for e in at_risk)
    assert all(e["account_manager_id"] == mia.id for e in at_risk)

    # five days later everything is due
    api.advance(days=5)
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter(
        {
            "sla.at_risk": 3,
            "sla.breached": 3,
            "request.promise_broken": 1,
            "meeting.report_overdue": 1,
            "task.overdue": 1,
            "task.due_soon": 1,
            "client.contact_overdue": 3,
        }
    )
    async with api.runtime.sessions() as session:
        keys = await session.scalar(select(func.count()).select_from(scheduled_alerts))
        total = await session.scalar(select(func.count()).select_from(outbox))
    assert keys == 13
    assert total == len(await api.event_types())
    breached = await api.request(mia.headers, requests[0]["request_id"])
    assert breached["status"] == "breached" and breached["breached"] is True
    broken = await api.request(mia.headers, promised["request_id"])
    assert broken["promise_broken"] is True and broken["status"] == "acknowledged"
    overdue = await api.events("client.contact_overdue")
    assert sorted(e["days_overdue"] for e in overdue) == [2, 2, 2]

    # later rounds find nothing more
    api.advance(hours=1)
    await run_scans([api.runtime.uow, *replicas], api, rounds=1)
    assert sum((await alerts(api)).values()) == 13


async def test_what_is_not_alerted(api: Api, replicas: list[UnitOfWorkFactory]) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    paused = await api.client("Paused", mia, status="paused")
    answered = await api.log(mia.headers, acme, requires_response=True)
    await api.log(mia.headers, acme, direction="outbound", responds_to=answered["id"])
    held = await api.log(mia.headers, acme, requires_response=True)
    assert (
        await api.http.post(
            f"/api/v1/requests/{held['request_id']}/hold",
            headers=mia.headers,
            json={"reason": "logs"},
        )
    ).status_code == 200
    meeting = await api.log(mia.headers, acme, type="meeting", direction="outbound")
    report = await api.http.post(
        f"/api/v1/interactions/{meeting['id']}/report", headers=mia.headers, json={"summary": "ok"}
    )
    assert report.status_code == 201
    done = await api.http.post(
        "/api/v1/tasks",
        headers=mia.headers,
        json={
            "client_id": acme.id,
            "title": "t",
            "assignee_id": mia.id,
            "due_at": iso(NOW + timedelta(hours=1)),
        },
    )
    assert (
        await api.http.patch(
            f"/api/v1/tasks/{done.json()['id']}", headers=mia.headers, json={"status": "done"}
        )
    ).status_code == 200
    api.advance(days=1)  # acme was contacted: cadence of 3 days not lapsed
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter()
    api.advance(days=3)
    await run_scans([api.runtime.uow, *replicas], api)
    # only acme lapses; the paused client is not alerted
    assert await alerts(api) == Counter({"client.contact_overdue": 1})
    assert (await api.events("client.contact_overdue"))[0]["client_id"] == acme.id
    assert paused.id not in {e["client_id"] for e in await api.events("client.contact_overdue")}


async def test_a_new_lapse_and_a_moved_deadline_alert_again(
    api: Api,
    replicas: list[UnitOfWorkFactory],
) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, cadence_days=3)
    task = await api.http.post(
        "/api/v1/tasks",
        headers=mia.headers,
        json={
            "client_id": acme.id,
            "title": "t",
            "assignee_id": mia.id,
            "due_at": iso(NOW + timedelta(days=1)),
        },
    )
    task_id = task.json()["id"]
    api.advance(days=4)
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter({"client.contact_overdue": 1, "task.overdue": 1})
    # a contact, then the next lapse
    await api.log(mia.headers, acme, type="call", direction="outbound")
    moved = await api.http.patch(
        f"/api/v1/tasks/{task_id}",
        headers=mia.headers,
        json={"due_at": iso(api.clock.now() + timedelta(days=1)), "reason": "client on leave"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["overdue"] is False
    await run_scans([api.runtime.uow, *replicas], api)
    # the moved deadline is a day away: warned of, once
    assert await alerts(api) == Counter(
        {"client.contact_overdue": 1, "task.overdue": 1, "task.due_soon": 1}
    )
    # the next lapse (3 days after the contact) comes within a day: warned of, once
    api.advance(days=2, hours=1)
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter(
        {
            "client.contact_overdue": 1,
            "client.contact_due_soon": 1,
            "task.overdue": 2,
            "task.due_soon": 1,
        }
    )
    (warning,) = await api.events("client.contact_due_soon")
    assert warning["days_left"] == 1 and warning["client_id"] == acme.id
    assert warning["contact_cadence_days"] == 3 and warning["last_contact_at"] is not None
    api.advance(days=1)
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter(
        {
            "client.contact_overdue": 2,
            "client.contact_due_soon": 1,
            "task.overdue": 2,
            "task.due_soon": 1,
        }
    )
    assert warning["due_at"] == (await api.events("client.contact_overdue"))[1]["due_at"]
    lapses = await api.events("client.contact_overdue")
    assert lapses[0]["last_contact_at"] is None
    assert lapses[1]["last_contact_at"] is not None and lapses[1]["days_overdue"] == 0
    history = await api.http.get(f"/api/v1/tasks/{task_id}/history", headers=mia.headers)
    assert [m["reason"] for m in history.json()["items"]] == ["client on leave"]
    moved_event = (await api.events("task.deadline_moved"))[0]
    assert moved_event["reason"] == "client on leave" and moved_event["task_id"] == task_id


async def test_the_scheduler_runs_the_scans(api: Api) -> None:
    """The jobs of the spec, run by the runtime's scheduler at its clock."""
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, first_response_minutes=30)
    await api.log(ADMIN, acme, requires_response=True)
    api.advance(hours=2)
    results = await api.runtime.scheduler.run_once()
    assert set(results) == {
        "sla_breached",
        "sla_at_risk",
        "promise_broken",
        "meeting_report_overdue",
        "task_overdue",
        "task_due_soon",
        "contact_overdue",
        "contact_due_soon",
        "meeting_reminder",
        "meeting_no_outcome",
    }
    assert results["sla_breached"] == 1 and results["sla_at_risk"] == 0
    assert await alerts(api) == Counter({"sla.breached": 1})


async def test_a_claimed_batch_is_not_claimed_again_by_a_concurrent_scanner(
    pg_api: Api, replicas_pg: list[UnitOfWorkFactory]
) -> None:
    """The claim itself (without the alert keys behind it): while one scanner holds its batch,
    another claims none of those rows, neither while it waits nor after the first commits."""
    api = pg_api
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, first_response_minutes=30)
    for _ in range(3):
        await api.log(mia.headers, acme, requires_response=True)
    api.advance(days=2)
    now = api.clock.now()
    first, second = replicas_pg
    async with first() as holder:
        claimed = (await holder.session.execute(BREACHES.claim(now, 10))).all()
        assert len(claimed) == 3
        async with second() as other:
            racing = asyncio.ensure_future(other.session.execute(BREACHES.claim(now, 10)))
            await asyncio.sleep(0.3)  # racing waits, or (SKIP LOCKED) is already done
            await holder.commit()
            again = (await asyncio.wait_for(racing, timeout=10)).all()
            await other.commit()
    assert again == []


async def test_a_new_promise_after_a_broken_one_is_watched_again(
    api: Api, replicas: list[UnitOfWorkFactory]
) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, first_response_minutes=600)
    asked = await api.log(mia.headers, acme, requires_response=True)

    async def promise(hours: int) -> None:
        await api.log(
            mia.headers,
            acme,
            direction="outbound",
            responds_to=asked["id"],
            promise_by=iso(api.clock.now() + timedelta(hours=hours)),
        )

    await promise(1)
    api.advance(hours=2)
    await run_scans([api.runtime.uow, *replicas], api)
    assert (await api.request(mia.headers, asked["request_id"]))["promise_broken"] is True
    await promise(1)  # a new promise: watched again, not broken yet
    request = await api.request(mia.headers, asked["request_id"])
    assert request["promise_broken"] is False and request["status"] == "acknowledged"
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter({"request.promise_broken": 1})
    api.advance(hours=2)
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter({"request.promise_broken": 2})
    broken = await api.events("request.promise_broken")
    assert broken[0]["promised_by"] != broken[1]["promised_by"]


async def test_a_hold_moves_the_deadline_and_says_so_at_risk_stays_once(
    api: Api, replicas: list[UnitOfWorkFactory]
) -> None:
    """At risk, then held for two business hours and resumed: ``request.held`` and
    ``request.resumed`` carry the state (the new ``due_at``); the at-risk alert is not repeated
    (the clock stopped, it did not rewind: the request is as much at risk as before); the
    breach comes at the moved deadline, once."""
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, first_response_minutes=60)
    asked = await api.log(mia.headers, acme, requires_response=True)
    request_id = asked["request_id"]
    first_due = (await api.request(mia.headers, request_id))["due_at"]
    api.advance(minutes=50)
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter({"sla.at_risk": 1})
    held = await api.http.post(
        f"/api/v1/requests/{request_id}/hold", headers=mia.headers, json={"reason": "logs"}
    )
    assert held.status_code == 200, held.text
    api.advance(hours=2)
    await run_scans([api.runtime.uow, *replicas], api)  # held: nothing, though past first_due
    assert await alerts(api) == Counter({"sla.at_risk": 1})
    resumed = await api.http.post(f"/api/v1/requests/{request_id}/resume", headers=mia.headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["due_at"] > first_due
    (held_event,) = await api.events("request.held")
    (resumed_event,) = await api.events("request.resumed")
    assert held_event["status"] == "on_hold" and held_event["reason"] == "logs"
    assert held_event["held_by"] == mia.id and held_event["account_manager_id"] == mia.id
    assert resumed_event["status"] == "open" and resumed_event["held_minutes"] == 120
    assert resumed_event["due_at"] == resumed.json()["due_at"]
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter({"sla.at_risk": 1})  # not again
    api.advance(minutes=11)
    await run_scans([api.runtime.uow, *replicas], api)
    assert await alerts(api) == Counter({"sla.at_risk": 1, "sla.breached": 1})
    (breach,) = await api.events("sla.breached")
    assert breach["due_at"] == resumed_event["due_at"] and breach["on_hold_minutes"] == 120
