"""The corrections' audit trail in the interactions service: retracting an interaction,
amending a meeting report, closing a request, withdrawing feedback each write a row per
changed field (actor, reason, request id) in the correction's transaction, read at
``GET /api/v1/{interactions,requests,feedback}/{id}/audit`` in the entity's scope."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.interactions.commands import InteractionRetractIn
from services.interactions.handlers.interactions import retract_interaction
from shared.auth import Caller, Role
from tests.integration.interactions.helpers import NOW, Api, iso

pytestmark = pytest.mark.integration


async def trail(api: Api, path: str, headers: dict[str, str]) -> Any:
    response = await api.http.get(f"/api/v1/{path}/audit", headers=headers)
    return response if response.status_code != 200 else response.json()["items"]


def rows(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["field"], r["old"], r["new"], r["actor_id"], r["request_id"]) for r in items]


async def test_each_correction_writes_its_rows_with_actor_and_reason(any_api: Api) -> None:
    api = any_api
    mia = await api.staff("Mia")
    olga = await api.staff("Olga")
    acme = await api.client("Acme", mia)
    headers = {**mia.headers, "X-Request-ID": "req-fix-1"}

    meeting = await api.log(mia.headers, acme, type="meeting", direction="outbound")
    report = f"/api/v1/interactions/{meeting['id']}/report"
    await api.http.post(report, headers=mia.headers, json={"summary": "Roadmap"})
    logged = await trail(api, f"interactions/{meeting['id']}", mia.headers)
    assert ("type", None, "meeting") in [(r["field"], r["old"], r["new"]) for r in logged]
    assert {r["actor_id"] for r in logged} == {mia.id}  # a report written is no change
    amended = await api.http.put(
        report, headers=headers, json={"summary": "Roadmap agreed", "reason": "typo"}
    )
    assert amended.status_code == 200, amended.text
    retracted = await api.http.post(
        f"/api/v1/interactions/{meeting['id']}/retract",
        headers=headers,
        json={"reason": "wrong client"},
    )
    assert retracted.status_code == 200, retracted.text
    at = retracted.json()["retracted_at"]
    items = (await trail(api, f"interactions/{meeting['id']}", mia.headers))[len(logged) :]
    assert [(f, o, n) for f, o, n, *_ in rows(items)] == [
        ("report.summary", "Roadmap", "Roadmap agreed"),
        ("report.revision", 0, 1),
        ("report.amendment_reason", None, "typo"),
        ("retracted_at", None, at),
        ("retract_reason", None, "wrong client"),
    ]
    assert {(r["actor_id"], r["request_id"]) for r in items} == {(mia.id, "req-fix-1")}

    asked = await api.log(mia.headers, acme, requires_response=True)
    closed = await api.http.post(
        f"/api/v1/requests/{asked['request_id']}/close",
        headers=headers,
        json={"reason": "an auto-reply", "code": "spam"},
    )
    assert closed.status_code == 200, closed.text
    assert rows(await trail(api, f"requests/{asked['request_id']}", mia.headers))[-3:] == [
        ("status", "open", "closed", mia.id, "req-fix-1"),
        ("close_code", None, "spam", mia.id, "req-fix-1"),
        ("close_reason", None, "an auto-reply", mia.id, "req-fix-1"),
    ]

    feedback = await api.http.post(
        "/api/v1/feedback",
        headers=mia.headers,
        json={"client_id": acme.id, "kind": "nps", "score": 3},
    )
    feedback_id = feedback.json()["id"]
    withdrawn = await api.http.post(
        f"/api/v1/feedback/{feedback_id}/withdraw", headers=headers, json={"reason": "mistake"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    (_, reason) = await trail(api, f"feedback/{feedback_id}", mia.headers)
    assert (reason["field"], reason["new"], reason["actor_id"]) == (
        "withdrawn_reason",
        "mistake",
        mia.id,
    )

    # Scoped like the entity: another manager's trail is 404.
    for path in (
        f"interactions/{meeting['id']}",
        f"requests/{asked['request_id']}",
        f"feedback/{feedback_id}",
        f"interactions/{uuid.uuid4()}",
    ):
        assert (await trail(api, path, olga.headers)).status_code == 404


async def test_a_tasks_trail_lists_each_change_with_its_author(any_api: Api) -> None:
    api = any_api
    mia = await api.staff("Mia")
    sam = await api.staff("Sam")
    olga = await api.staff("Olga")
    acme = await api.client("Acme", mia)
    headers = {**mia.headers, "X-Request-ID": "req-task-1"}
    body = {
        "client_id": acme.id,
        "title": "Send the offer",
        "assignee_id": mia.id,
        "due_at": iso(NOW + timedelta(days=2)),
    }
    created = await api.http.post("/api/v1/tasks", headers=headers, json=body)
    assert created.status_code == 201, created.text
    task = created.json()
    path = f"/api/v1/tasks/{task['id']}"
    moved = await api.http.patch(
        path,
        headers=headers,
        json={"title": "Send the offer v2", "assignee_id": sam.id}
        | {"due_at": iso(NOW + timedelta(days=4)), "reason": "waiting for prices"},
    )
    assert moved.status_code == 200, moved.text
    done = await api.http.patch(path, headers=sam.headers, json={"status": "done"})
    assert done.status_code == 200, done.text
    items = await trail(api, f"tasks/{task['id']}", mia.headers)
    assert [(r["field"], r["old"], r["new"], r["actor_id"]) for r in items] == [
        ("client_id", None, acme.id, mia.id),
        ("title", None, "Send the offer", mia.id),
        ("due_at", None, task["due_at"], mia.id),
        ("assignee_id", None, mia.id, mia.id),
        ("status", None, "open", mia.id),
        ("title", "Send the offer", "Send the offer v2", mia.id),
        ("due_at", task["due_at"], moved.json()["due_at"], mia.id),
        ("assignee_id", mia.id, sam.id, mia.id),
        ("status", "open", "done", sam.id),
    ]
    assert {r["request_id"] for r in items if r["actor_id"] == mia.id} == {"req-task-1"}
    # The assignee reads it as they read the task; another manager's is 404.
    assert len(await trail(api, f"tasks/{task['id']}", sam.headers)) == len(items)
    assert (await trail(api, f"tasks/{task['id']}", olga.headers)).status_code == 404


async def test_a_requests_and_a_meetings_trail_list_each_change(any_api: Api) -> None:
    api = any_api
    mia = await api.staff("Mia")
    olga = await api.staff("Olga")
    acme = await api.client("Acme", mia)
    asked = await api.log(mia.headers, acme, requires_response=True)
    path = f"/api/v1/requests/{asked['request_id']}"
    held = await api.http.post(f"{path}/hold", headers=mia.headers, json={"reason": "waiting"})
    assert held.status_code == 200, held.text
    api.advance(minutes=10)
    resumed = await api.http.post(f"{path}/resume", headers=mia.headers, json={})
    assert resumed.status_code == 200, resumed.text
    promise_by = iso(NOW + timedelta(days=1))
    reply = {"direction": "outbound", "responds_to": asked["id"], "promise_by": promise_by}
    await api.log(mia.headers, acme, **reply)
    acknowledged = await api.request(mia.headers, asked["request_id"])
    items = await trail(api, f"requests/{asked['request_id']}", mia.headers)
    assert [(f, o, n) for f, o, n, *_ in rows(items) if f in ("status", "hold_reason")] == [
        ("status", None, "open"),
        ("status", "open", "on_hold"),
        ("hold_reason", None, "waiting"),
        ("status", "on_hold", "open"),
        ("status", "open", "acknowledged"),
    ]
    changes = [(f, o, n) for f, o, n, *_ in rows(items)]
    opened_due = next(n for f, o, n in changes if f == "due_at")
    assert ("due_at", opened_due, resumed.json()["due_at"]) in changes  # moved by the hold
    assert ("promised_by", None, acknowledged["promised_by"]) in changes
    assert {r["actor_id"] for r in items} == {mia.id}

    slot = {
        "starts_at": iso(NOW + timedelta(days=1)),
        "ends_at": iso(NOW + timedelta(days=1, hours=1)),
    }
    planned = await api.http.post(
        "/api/v1/meetings",
        headers=mia.headers,
        json={"client_id": acme.id, "kind": "meeting", "subject": "Kick-off"} | slot,
    )
    assert planned.status_code == 201, planned.text
    meeting = planned.json()
    path = f"/api/v1/meetings/{meeting['id']}"
    later = {
        "starts_at": iso(NOW + timedelta(days=2)),
        "ends_at": iso(NOW + timedelta(days=2, hours=1)),
    }
    moved = await api.http.post(
        f"{path}/reschedule", headers=mia.headers, json=later | {"reason": "asked"}
    )
    assert moved.status_code == 200, moved.text
    cancelled = await api.http.post(f"{path}/cancel", headers=mia.headers, json={"reason": "ill"})
    assert cancelled.status_code == 200, cancelled.text
    items = await trail(api, f"meetings/{meeting['id']}", mia.headers)
    created = [(f, o, n) for f, o, n, *_ in rows(items) if o is None and f != "reason"]
    assert ("status", None, "planned") in created and ("subject", None, "Kick-off") in created
    assert [(f, o, n) for f, o, n, *_ in rows(items)][len(created) :] == [
        ("starts_at", meeting["starts_at"], moved.json()["starts_at"]),
        ("ends_at", meeting["ends_at"], moved.json()["ends_at"]),
        ("reason", None, "asked"),
        ("status", "planned", "cancelled"),
        ("reason", "asked", "ill"),
    ]
    assert {r["actor_id"] for r in items} == {mia.id}
    for entity_path in (f"meetings/{meeting['id']}", f"requests/{asked['request_id']}"):
        assert (await trail(api, entity_path, olga.headers)).status_code == 404


async def test_a_rolled_back_correction_leaves_no_row(any_api: Api) -> None:
    api = any_api
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    call = await api.log(mia.headers, acme, type="call", direction="outbound")
    logged = await trail(api, f"interactions/{call['id']}", mia.headers)
    caller = Caller(uuid.UUID(mia.id), Role.MANAGER)
    async with api.runtime.uow() as uow:  # never committed
        await retract_interaction(
            uow, caller, uuid.UUID(call["id"]), InteractionRetractIn(reason="wrong client")
        )
    assert await trail(api, f"interactions/{call['id']}", mia.headers) == logged
    interaction = await api.http.get(f"/api/v1/interactions/{call['id']}", headers=mia.headers)
    assert interaction.json()["retracted_at"] is None


async def test_what_the_scans_change_is_in_the_requests_trail_by_the_system(
    any_api: Api,
) -> None:
    """At risk, breached, a promise broken: rows with ``actor_id`` null (the system), once
    however often the scans run."""
    api = any_api
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, first_response_minutes=30)
    late = await api.log(mia.headers, acme, requires_response=True)
    promised = await api.log(mia.headers, acme, requires_response=True)
    await api.log(
        mia.headers,
        acme,
        direction="outbound",
        responds_to=promised["id"],
        promise_by=iso(NOW + timedelta(hours=1)),
    )
    paths = [f"requests/{late['request_id']}", f"requests/{promised['request_id']}"]
    before = {path: len(await trail(api, path, mia.headers)) for path in paths}

    async def by_the_system(path: str) -> list[tuple[Any, ...]]:
        return rows((await trail(api, path, mia.headers))[before[path] :])

    api.advance(minutes=25)  # past the at-risk instant of the open request
    await api.runtime.scheduler.run_once()
    assert await by_the_system(paths[0]) == [("at_risk_notified", False, True, None, None)]
    api.advance(hours=2)  # past its due time and the other's promise
    await api.runtime.scheduler.run_once()
    await api.runtime.scheduler.run_once()
    assert await by_the_system(paths[0]) == [
        ("at_risk_notified", False, True, None, None),
        ("status", "open", "breached", None, None),
        ("breached", False, True, None, None),
    ]
    assert await by_the_system(paths[1]) == [("promise_broken", False, True, None, None)]
