"""Who may do what in the interactions API, one test per cell: every endpoint x caller (the
north manager, the north head, an admin, and a peer: another north manager) x object (of the
north manager's client, "own", or of the south department's, "foreign").

The rules (CONTRACT.md): a manager sees their own clients, a head their department, an admin
all; anything else is 404 and never listed — a ``responds_to``, a task, a report included.
No valid token, or the token of a deactivated member of staff, is 401.

One PostgreSQL database and one running app serve the module. Cells that change something
work on objects created for them (by an admin), so they stay independent of each other.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from services.interactions.app import create_app
from shared.clock import FixedClock
from tests.integration.interactions.helpers import ADMIN, NOW, Api, ClientRef, iso
from tests.support.apps import running, runtime_of, test_settings
from tests.support.servers import fresh_postgres_database

pytestmark = pytest.mark.integration


@dataclass
class Side:
    client: ClientRef
    manager_id: str
    request_interaction: str
    request_id: str
    meeting: str
    task: str
    feedback: str
    manager_headers: dict[str, str]


@dataclass
class World:
    api: Api
    sides: dict[str, Side]
    callers: dict[str, dict[str, str]]
    dormant: dict[str, str]

    async def admin_log(self, side: Side, **body: Any) -> dict[str, Any]:
        return await self.api.log(ADMIN, side.client, **body)


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with fresh_postgres_database("iaccess") as url:
        clock = FixedClock(NOW)
        app = create_app(
            test_settings(database_url=url), clock=clock, migrate_on_start=True, workers=False
        )
        async with running(app) as http:
            api = Api(http, runtime_of(app, "interactions"), clock)
            sides: dict[str, Side] = {}
            callers: dict[str, dict[str, str]] = {"admin": ADMIN}
            for department in ("north", "south"):
                head = await api.staff(f"Head {department}", "head", department)
                manager = await api.staff(f"Manager {department}", "manager", department, head.id)
                client = await api.client(f"Client {department}", manager)
                inbound = await api.log(ADMIN, client, requires_response=True)
                meeting = await api.log(
                    ADMIN,
                    client,
                    type="meeting",
                    direction="outbound",
                    occurred_at=iso(NOW - timedelta(hours=1)),
                )
                report = await http.post(
                    f"/api/v1/interactions/{meeting['id']}/report",
                    headers=ADMIN,
                    json={"summary": "done"},
                )
                assert report.status_code == 201, report.text
                task = await http.post(
                    "/api/v1/tasks",
                    headers=ADMIN,
                    json={
                        "client_id": client.id,
                        "title": "Send offer",
                        "due_at": iso(NOW + timedelta(days=2)),
                        "assignee_id": manager.id,
                    },
                )
                assert task.status_code == 201, task.text
                feedback = await http.post(
                    "/api/v1/feedback",
                    headers=ADMIN,
                    json={"client_id": client.id, "kind": "nps", "score": 9},
                )
                assert feedback.status_code == 201, feedback.text
                sides[department] = Side(
                    client,
                    manager.id,
                    inbound["id"],
                    inbound["request_id"],
                    meeting["id"],
                    task.json()["id"],
                    feedback.json()["id"],
                    manager.headers,
                )
                if department == "north":
                    callers["manager"] = manager.headers
                    callers["head"] = head.headers
                    callers["peer"] = (await api.staff("Peer", "manager", "north", head.id)).headers
            dormant = await api.staff("Dormant", "manager", "north", active=False)
            yield World(
                api, {"own": sides["north"], "foreign": sides["south"]}, callers, dormant.headers
            )


SEES = {"manager": {"own"}, "head": {"own"}, "admin": {"own", "foreign"}, "peer": set()}
LISTED = "listed"

Cell = Callable[[World, Side, dict[str, str]], Awaitable[int | bool]]


async def _status(response: httpx.Response) -> int:
    return response.status_code


def _ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def get_interaction(w: World, s: Side, h: dict[str, str]) -> int:
    return (
        await w.api.http.get(f"/api/v1/interactions/{s.request_interaction}", headers=h)
    ).status_code


async def list_interactions(w: World, s: Side, h: dict[str, str]) -> bool:
    return s.request_interaction in _ids(
        await w.api.http.get("/api/v1/interactions", headers=h, params={"limit": 500})
    )


async def log_interaction(w: World, s: Side, h: dict[str, str]) -> int:
    return (
        await w.api.http.post(
            "/api/v1/interactions",
            headers=h,
            json={
                "client_id": s.client.id,
                "type": "note",
                "direction": "internal",
                "occurred_at": iso(NOW),
            },
        )
    ).status_code


async def reply_to_foreign(w: World, s: Side, h: dict[str, str]) -> int:
    """A reply from a client the caller may see (their own, or the side's for an admin) to
    the side's request: revealing nothing of a client out of scope."""
    fresh = await w.admin_log(s, requires_response=True)
    return (
        await w.api.http.post(
            "/api/v1/interactions",
            headers=h,
            json={
                "client_id": s.client.id,
                "type": "email",
                "direction": "outbound",
                "occurred_at": iso(NOW),
                "responds_to": fresh["id"],
            },
        )
    ).status_code


async def get_report(w: World, s: Side, h: dict[str, str]) -> int:
    return (await w.api.http.get(f"/api/v1/interactions/{s.meeting}/report", headers=h)).status_code


async def submit_report(w: World, s: Side, h: dict[str, str]) -> int:
    meeting = await w.admin_log(s, type="meeting", direction="outbound")
    return (
        await w.api.http.post(
            f"/api/v1/interactions/{meeting['id']}/report", headers=h, json={"summary": "minutes"}
        )
    ).status_code


async def get_request(w: World, s: Side, h: dict[str, str]) -> int:
    return (await w.api.http.get(f"/api/v1/requests/{s.request_id}", headers=h)).status_code


async def list_requests(w: World, s: Side, h: dict[str, str]) -> bool:
    return s.request_id in _ids(
        await w.api.http.get("/api/v1/requests", headers=h, params={"limit": 500})
    )


async def list_requests_of_manager(w: World, s: Side, h: dict[str, str]) -> bool:
    return s.request_id in _ids(
        await w.api.http.get(
            "/api/v1/requests", headers=h, params={"limit": 500, "account_manager_id": s.manager_id}
        )
    )


async def hold_request(w: World, s: Side, h: dict[str, str]) -> int:
    fresh = await w.admin_log(s, requires_response=True)
    return (
        await w.api.http.post(
            f"/api/v1/requests/{fresh['request_id']}/hold", headers=h, json={"reason": "waiting"}
        )
    ).status_code


async def resume_request(w: World, s: Side, h: dict[str, str]) -> int:
    fresh = await w.admin_log(s, requires_response=True)
    held = await w.api.http.post(
        f"/api/v1/requests/{fresh['request_id']}/hold", headers=ADMIN, json={"reason": "waiting"}
    )
    assert held.status_code == 200, held.text
    return (
        await w.api.http.post(f"/api/v1/requests/{fresh['request_id']}/resume", headers=h)
    ).status_code


async def get_task(w: World, s: Side, h: dict[str, str]) -> int:
    return (await w.api.http.get(f"/api/v1/tasks/{s.task}", headers=h)).status_code


async def list_tasks(w: World, s: Side, h: dict[str, str]) -> bool:
    return s.task in _ids(await w.api.http.get("/api/v1/tasks", headers=h, params={"limit": 500}))


async def task_history(w: World, s: Side, h: dict[str, str]) -> int:
    return (await w.api.http.get(f"/api/v1/tasks/{s.task}/history", headers=h)).status_code


async def create_task(w: World, s: Side, h: dict[str, str]) -> int:
    return (
        await w.api.http.post(
            "/api/v1/tasks",
            headers=h,
            json={
                "client_id": s.client.id,
                "title": "Call back",
                "due_at": iso(NOW + timedelta(days=1)),
                "assignee_id": s.manager_id,
            },
        )
    ).status_code


async def update_task(w: World, s: Side, h: dict[str, str]) -> int:
    return (
        await w.api.http.patch(
            f"/api/v1/tasks/{s.task}",
            headers=h,
            json={"title": f"Send offer {uuid.uuid4().hex[:4]}"},
        )
    ).status_code


async def get_feedback(w: World, s: Side, h: dict[str, str]) -> int:
    return (await w.api.http.get(f"/api/v1/feedback/{s.feedback}", headers=h)).status_code


async def list_feedback(w: World, s: Side, h: dict[str, str]) -> bool:
    return s.feedback in _ids(
        await w.api.http.get("/api/v1/feedback", headers=h, params={"limit": 500})
    )


async def record_feedback(w: World, s: Side, h: dict[str, str]) -> int:
    return (
        await w.api.http.post(
            "/api/v1/feedback",
            headers=h,
            json={"client_id": s.client.id, "kind": "csat", "score": 4},
        )
    ).status_code


OBJECT_CELLS: dict[str, tuple[Cell, int]] = {
    "GET /interactions/{id}": (get_interaction, 200),
    "POST /interactions": (log_interaction, 201),
    "POST /interactions (responds_to)": (reply_to_foreign, 201),
    "GET /interactions/{id}/report": (get_report, 200),
    "POST /interactions/{id}/report": (submit_report, 201),
    "GET /requests/{id}": (get_request, 200),
    "POST /requests/{id}/hold": (hold_request, 200),
    "POST /requests/{id}/resume": (resume_request, 200),
    "GET /tasks/{id}": (get_task, 200),
    "GET /tasks/{id}/history": (task_history, 200),
    "POST /tasks": (create_task, 201),
    "PATCH /tasks/{id}": (update_task, 200),
    "GET /feedback/{id}": (get_feedback, 200),
    "POST /feedback": (record_feedback, 201),
}
LIST_CELLS: dict[str, Cell] = {
    "GET /interactions": list_interactions,
    "GET /requests": list_requests,
    "GET /requests?account_manager_id": list_requests_of_manager,
    "GET /tasks": list_tasks,
    "GET /feedback": list_feedback,
}


@pytest.mark.parametrize("side", ["own", "foreign"])
@pytest.mark.parametrize("caller", list(SEES))
@pytest.mark.parametrize("cell", list(OBJECT_CELLS))
async def test_object_cell(world: World, cell: str, caller: str, side: str) -> None:
    run, allowed = OBJECT_CELLS[cell]
    expected = allowed if side in SEES[caller] else 404
    assert await run(world, world.sides[side], world.callers[caller]) == expected


@pytest.mark.parametrize("side", ["own", "foreign"])
@pytest.mark.parametrize("caller", list(SEES))
@pytest.mark.parametrize("cell", list(LIST_CELLS))
async def test_list_cell(world: World, cell: str, caller: str, side: str) -> None:
    listed = await LIST_CELLS[cell](world, world.sides[side], world.callers[caller])
    assert listed is (side in SEES[caller])


async def test_the_assignee_sees_and_closes_a_task_of_a_client_they_do_not_see(
    world: World,
) -> None:
    own, foreign = world.sides["own"], world.sides["foreign"]
    helper = foreign.manager_headers  # the south manager, asked to help with a north client
    created = await world.api.http.post(
        "/api/v1/tasks",
        headers=ADMIN,
        json={
            "client_id": own.client.id,
            "title": "Check the logs",
            "assignee_id": foreign.manager_id,
            "due_at": iso(NOW + timedelta(days=1)),
        },
    )
    assert created.status_code == 201, created.text
    path = f"/api/v1/tasks/{created.json()['id']}"
    assert (await world.api.http.get(path, headers=helper)).status_code == 200
    listed = _ids(
        await world.api.http.get(
            "/api/v1/tasks", headers=helper, params={"assignee_id": foreign.manager_id}
        )
    )
    assert created.json()["id"] in listed
    renamed = await world.api.http.patch(path, headers=helper, json={"title": "other"})
    assert renamed.status_code == 403
    done = await world.api.http.patch(path, headers=helper, json={"status": "done"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    # nobody else out of the client's scope sees it
    assert (await world.api.http.get(path, headers=world.callers["peer"])).status_code == 404
    # and the client stays hidden from the helper
    assert (
        await world.api.http.get(
            "/api/v1/interactions", headers=helper, params={"client_id": own.client.id}
        )
    ).json()["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/interactions",
        "/api/v1/requests",
        "/api/v1/tasks",
        "/api/v1/feedback",
    ],
)
async def test_no_token_or_a_deactivated_member_of_staff_is_401(world: World, path: str) -> None:
    assert (await world.api.http.get(path)).status_code == 401
    assert (await world.api.http.get(path, headers=world.dormant)).status_code == 401
    bad = {"Authorization": "Bearer nonsense"}
    assert (await world.api.http.get(path, headers=bad)).status_code == 401
