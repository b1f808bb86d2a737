"""Tasks and feedback over HTTP on PostgreSQL: assignees, deadline moves with reasons and
their history, scores and the low flag, and the 422 problems of bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.integration.interactions.helpers import NOW, Api, iso
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration


@pytest.fixture
def api(any_api: Api) -> Api:
    """Each test here runs on SQLite (the embedded mode) and on PostgreSQL."""
    return any_api


async def test_tasks(api: Api) -> None:
    mia = await api.staff("Mia")
    specialist = await api.staff("Sam", "manager", "engineering")
    gone = await api.staff("Gone", active=False)
    acme = await api.client("Acme", mia)
    other = await api.client("Other", mia)
    call = await api.log(mia.headers, acme, type="call", direction="outbound")
    body = {
        "client_id": acme.id,
        "title": "Send the logs",
        "assignee_id": specialist.id,
        "due_at": iso(NOW + timedelta(days=2)),
        "interaction_id": call["id"],
    }
    created = await api.http.post("/api/v1/tasks", headers=mia.headers, json=body)
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["status"] == "open" and task["overdue"] is False
    path = f"/api/v1/tasks/{task['id']}"

    for change, fields in [
        ({"assignee_id": gone.id}, {"assignee_id"}),
        ({"assignee_id": str(uuid.uuid4())}, {"assignee_id"}),
        ({"title": ""}, {"title"}),
        ({"due_at": "tomorrow"}, {"due_at"}),
        ({"interaction_id": str(uuid.uuid4())}, {"interaction_id"}),
    ]:
        response = await api.http.post(
            "/api/v1/tasks", headers=mia.headers, json={**body, **change}
        )
        assert field_errors(response) == fields, change
    foreign_call = await api.log(mia.headers, other, type="call", direction="outbound")
    response = await api.http.post(
        "/api/v1/tasks", headers=mia.headers, json={**body, "interaction_id": foreign_call["id"]}
    )
    assert field_errors(response) == {"interaction_id"}

    later = iso(NOW + timedelta(days=5))
    assert field_errors(
        await api.http.patch(path, headers=mia.headers, json={"due_at": later})
    ) == {"reason"}
    assert field_errors(await api.http.patch(path, headers=mia.headers, json={"reason": "x"})) == {
        "reason"
    }
    assert field_errors(await api.http.patch(path, headers=mia.headers, json={"title": None})) == {
        "title"
    }
    moved = await api.http.patch(
        path, headers=mia.headers, json={"due_at": later, "reason": "waiting for access"}
    )
    assert moved.status_code == 200 and moved.json()["due_at"] == "2026-11-28T09:00:00Z"
    api.clock.advance(timedelta(minutes=1))  # the history is in order of the moves' times
    earlier = await api.http.patch(
        path, headers=mia.headers, json={"due_at": iso(NOW + timedelta(days=4))}
    )
    assert earlier.status_code == 200
    history = (await api.http.get(f"{path}/history", headers=mia.headers)).json()["items"]
    assert [(m["reason"], m["new_due_at"]) for m in history] == [
        ("waiting for access", "2026-11-28T09:00:00Z"),
        (None, "2026-11-27T09:00:00Z"),
    ]
    events = await api.events("task.deadline_moved")
    assert [e["reason"] for e in events] == ["waiting for access", None]
    assert events[0]["assignee_id"] == specialist.id and events[0]["client_name"] == "Acme"
    done = await api.http.patch(path, headers=specialist.headers, json={"status": "done"})
    assert done.status_code == 200 and done.json()["done_at"] is not None
    listed = await api.http.get(
        "/api/v1/tasks", headers=mia.headers, params={"status": "done", "client_id": acme.id}
    )
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]


async def test_the_assignee_is_told_of_assignments_and_completion(api: Api) -> None:
    """``task.assigned`` on creation and on each reassignment (the previous assignee named),
    ``task.completed`` when done, each in the write's unit of work; a refused write and a
    change of nothing else announce nothing."""
    mia = await api.staff("Mia")
    sam = await api.staff("Sam", "manager", "engineering")
    acme = await api.client("Acme", mia)
    body = {
        "client_id": acme.id,
        "title": "Send the logs",
        "assignee_id": sam.id,
        "due_at": iso(NOW + timedelta(days=2)),
    }
    created = await api.http.post("/api/v1/tasks", headers=mia.headers, json=body)
    assert created.status_code == 201, created.text
    path = f"/api/v1/tasks/{created.json()['id']}"
    refused = await api.http.post(
        "/api/v1/tasks", headers=mia.headers, json={**body, "assignee_id": str(uuid.uuid4())}
    )
    assert refused.status_code == 422
    for change in ({"title": "Send the full logs"}, {"assignee_id": mia.id}, {"status": "done"}):
        response = await api.http.patch(path, headers=mia.headers, json=change)
        assert response.status_code == 200, response.text
    assigned = await api.events("task.assigned")
    assert [(e["assignee_id"], e["previous_assignee_id"]) for e in assigned] == [
        (sam.id, None),
        (mia.id, sam.id),
    ]
    assert all(e["assigned_by"] == mia.id and e["client_name"] == "Acme" for e in assigned)
    assert assigned[0]["title"] == "Send the logs" and assigned[0]["status"] == "open"
    (completed,) = await api.events("task.completed")
    assert completed["completed_by"] == mia.id and completed["status"] == "done"
    assert completed["completed_at"] == iso(NOW).replace("+00:00", "Z")


async def test_feedback(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    for kind, score, low in (
        ("nps", 6, True),
        ("nps", 7, False),
        ("csat", 2, True),
        ("csat", 3, False),
    ):
        response = await api.http.post(
            "/api/v1/feedback",
            headers=mia.headers,
            json={
                "client_id": acme.id,
                "kind": kind,
                "score": score,
                "comment": "fine",
                "contact_id": acme.contacts[0],
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["low"] is low
    events = await api.events("feedback.received")
    assert [(e["kind"], e["score"], e["low"]) for e in events] == [
        ("nps", 6, True),
        ("nps", 7, False),
        ("csat", 2, True),
        ("csat", 3, False),
    ]
    assert events[0]["account_manager_id"] == mia.id
    base = {"client_id": acme.id, "kind": "nps", "score": 5}
    for change, fields in [
        ({"score": 11}, {"score"}),
        ({"score": -1}, {"score"}),
        ({"kind": "csat", "score": 0}, {"score"}),
        ({"score": "5"}, {"score"}),
        ({"score": True}, {"score"}),
        ({"kind": "ces"}, {"kind"}),
        ({"contact_id": str(uuid.uuid4())}, {"contact_id"}),
        ({"received_at": iso(NOW + timedelta(days=1))}, {"received_at"}),
    ]:
        response = await api.http.post(
            "/api/v1/feedback", headers=mia.headers, json={**base, **change}
        )
        assert field_errors(response) == fields, change
    low = await api.http.get("/api/v1/feedback", headers=mia.headers, params={"low": "true"})
    assert sorted(f["score"] for f in low.json()["items"]) == [2, 6]


async def test_feedback_entered_by_mistake_is_withdrawn(api: Api) -> None:
    """Withdrawn with a reason: still listed (``withdrawn_at``), out of the feedback report,
    announced once; a second withdrawal is 409; another manager's 404."""
    mia = await api.staff("Mia")
    olga = await api.staff("Olga")
    acme = await api.client("Acme", mia)
    ids = []
    for score in (3, 10):
        response = await api.http.post(
            "/api/v1/feedback",
            headers=mia.headers,
            json={"client_id": acme.id, "kind": "nps", "score": score},
        )
        ids.append(response.json()["id"])
    path = f"/api/v1/feedback/{ids[0]}/withdraw"
    assert field_errors(await api.http.post(path, headers=mia.headers, json={})) == {"reason"}
    reason = {"reason": "meant for another client"}
    assert (await api.http.post(path, headers=olga.headers, json=reason)).status_code == 404
    withdrawn = await api.http.post(path, headers=mia.headers, json=reason)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_reason"] == reason["reason"]
    assert withdrawn.json()["withdrawn_by"] == mia.id and withdrawn.json()["withdrawn_at"]
    assert (await api.http.post(path, headers=mia.headers, json=reason)).status_code == 409
    (event,) = await api.events("feedback.withdrawn")
    assert event["feedback_id"] == ids[0] and event["low"] is True and event["score"] == 3
    listed = await api.http.get("/api/v1/feedback", headers=mia.headers)
    assert len(listed.json()["items"]) == 2
    report = (await api.http.get("/api/v1/reports/feedback", headers=mia.headers)).json()
    assert report["nps_responses"] == 1 and report["promoters"] == 1 and report["low"] == 0
