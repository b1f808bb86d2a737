"""The interactions lists as a UI uses them: ``?sort=`` (both ways, cursors stable under the
sort), the date filters (requests by opened date, tasks due before, feedback by date),
``?total=true``, the lists as CSV and Excel, and each sort read through its index."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.interactions.store.models import (
    FEEDBACK_SORTS,
    INTERACTION_SORTS,
    MEETING_SORTS,
    REQUEST_SORTS,
    TASK_SORTS,
)
from shared.pagination import Sorts
from shared.replica_store import fill_manager_copies
from tests.integration.interactions.helpers import ADMIN, NOW, Api, iso
from tests.support.lists import all_items, exported, sorts_read_their_indexes


async def _post(api: Api, path: str, who: dict[str, str], body: dict[str, Any]) -> str:
    response = await api.http.post(path, headers=who, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_interactions_requests_and_tasks(any_api: Api) -> None:
    mia = await any_api.staff("Mia", "manager", "north")
    acme = await any_api.client("Acme", mia)

    async def ids(path: str, key: str = "id", **params: str) -> list[str]:
        return [item[key] for item in await all_items(any_api.http, path, ADMIN, **params)]

    # three inbound requests ten minutes apart, then an email of two days ago logged last
    opened = []
    for _ in range(3):
        any_api.advance(minutes=10)
        opened.append(await any_api.log(mia.headers, acme, requires_response=True))
    any_api.advance(minutes=10)
    past = await any_api.log(
        mia.headers, acme, direction="outbound", occurred_at=iso(NOW - timedelta(days=2))
    )
    newest = [i["id"] for i in opened[::-1]] + [past["id"]]
    assert await ids("/api/v1/interactions") == newest  # by occurred_at, newest first
    assert await ids("/api/v1/interactions", sort="-created_at") == [past["id"], *newest[:3]]
    assert await ids("/api/v1/interactions", sort="occurred_at") == newest[::-1]
    rows = await exported(any_api.http, "/api/v1/interactions", "csv", sort="created_at")
    assert [r["id"] for r in rows] == [*newest[:3][::-1], past["id"]]

    requests = [i["request_id"] for i in opened]
    held = await any_api.http.post(
        f"/api/v1/requests/{requests[2]}/hold", headers=mia.headers, json={"reason": "waiting"}
    )
    assert held.status_code == 200, held.text
    assert await ids("/api/v1/requests") == requests[::-1]  # by opened_at, newest first
    assert await ids("/api/v1/requests", sort="due_at") == requests
    assert await ids("/api/v1/requests", "status", sort="status") == ["on_hold", "open", "open"]
    today, yesterday = str(NOW.date()), str(NOW.date() - timedelta(days=1))
    assert await ids("/api/v1/requests", sort="opened_at", opened_from=today) == requests
    assert await ids("/api/v1/requests", opened_to=yesterday) == []
    later = iso(NOW + timedelta(minutes=15))
    assert await ids("/api/v1/requests", sort="opened_at", opened_from=later) == requests[1:]
    counted = await any_api.http.get(
        "/api/v1/requests", params={"total": "true", "limit": 1}, headers=ADMIN
    )
    assert (counted.json()["total"], counted.json()["total_capped"]) == (3, False)

    tasks = {}
    for title, days in [("far", 3), ("near", 1), ("middle", 2)]:
        body = {
            "client_id": acme.id,
            "title": title,
            "due_at": iso(NOW + timedelta(days=days)),
            "assignee_id": mia.id,
        }
        tasks[title] = await _post(any_api, "/api/v1/tasks", ADMIN, body)
        any_api.advance(minutes=1)
    done = await any_api.http.patch(
        f"/api/v1/tasks/{tasks['far']}", headers=ADMIN, json={"status": "done"}
    )
    assert done.status_code == 200, done.text
    assert await ids("/api/v1/tasks", "title") == ["far", "near", "middle"]  # created_at
    assert await ids("/api/v1/tasks", "title", sort="-due_at") == ["far", "middle", "near"]
    assert (await ids("/api/v1/tasks", "title", sort="status"))[0] == "far"  # done < open
    day_after = str((NOW + timedelta(days=2)).date())  # due by the end of that day
    assert await ids("/api/v1/tasks", "title", sort="due_at", due_before=day_after) == [
        "near",
        "middle",
    ]
    rows = await exported(any_api.http, "/api/v1/tasks", "xlsx", sort="due_at")
    assert [(r["title"], r["overdue"]) for r in rows] == [
        ("near", "false"),
        ("middle", "false"),
        ("far", "false"),
    ]


async def test_feedback_and_meetings(any_api: Api) -> None:
    mia = await any_api.staff("Mia", "manager", "north")
    acme = await any_api.client("Acme", mia)
    for score, days in [(9, 3), (3, 1), (7, 2)]:
        body = {
            "client_id": acme.id,
            "kind": "nps",
            "score": score,
            "received_at": iso(NOW - timedelta(days=days)),
        }
        await _post(any_api, "/api/v1/feedback", ADMIN, body)

    async def scores(**params: str) -> list[int]:
        items = await all_items(any_api.http, "/api/v1/feedback", ADMIN, **params)
        return [item["score"] for item in items]

    assert await scores() == [3, 7, 9]  # newest first
    assert await scores(sort="score") == [3, 7, 9]
    assert await scores(sort="-score") == [9, 7, 3]
    assert await scores(sort="received_at") == [9, 7, 3]
    two_days_ago = str((NOW - timedelta(days=2)).date())
    assert await scores(**{"from": two_days_ago}) == [3, 7]
    assert await scores(**{"to": two_days_ago, "sort": "score"}) == [7, 9]
    rows = await exported(any_api.http, "/api/v1/feedback", "csv", sort="-score")
    assert [(r["score"], r["low"]) for r in rows] == [("9", "false"), ("7", "false"), ("3", "true")]

    meetings = {}
    for subject, days in [("far", 3), ("near", 1)]:
        starts = NOW + timedelta(days=days)
        body = {
            "client_id": acme.id,
            "subject": subject,
            "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=1)),
            "contact_ids": acme.contacts,
        }
        meetings[subject] = await _post(any_api, "/api/v1/meetings", mia.headers, body)
        any_api.advance(minutes=1)

    async def subjects(**params: str) -> list[str]:
        items = await all_items(any_api.http, "/api/v1/meetings", mia.headers, **params)
        return [item["subject"] for item in items]

    assert await subjects() == ["near", "far"]  # by start
    assert await subjects(sort="created_at") == ["far", "near"]
    assert await subjects(sort="-starts_at") == ["far", "near"]
    rows = await exported(any_api.http, "/api/v1/meetings", "xlsx", mia.headers, sort="starts_at")
    assert [(r["subject"], r["contact_ids"]) for r in rows] == [
        ("near", ", ".join(acme.contacts)),
        ("far", ", ".join(acme.contacts)),
    ]
    counted = await any_api.http.get(
        "/api/v1/meetings", params={"total": "true"}, headers=mia.headers
    )
    assert counted.json()["total"] == 2
    crossed = await any_api.http.get(
        "/api/v1/meetings",
        params={
            "sort": "created_at",
            "cursor": (
                await any_api.http.get("/api/v1/meetings", params={"limit": 1}, headers=mia.headers)
            ).json()["next_cursor"],
        },
        headers=mia.headers,
    )
    assert crossed.status_code == 422 and crossed.json()["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    "sorts", [INTERACTION_SORTS, REQUEST_SORTS, TASK_SORTS, FEEDBACK_SORTS, MEETING_SORTS]
)
async def test_every_sort_reads_its_index(api: Api, sorts: Sorts) -> None:
    async with api.runtime.sessions() as session:
        await sorts_read_their_indexes(session, sorts)


async def test_a_reassigned_clients_rows_move_to_the_new_managers_lists(any_api: Api) -> None:
    """Interactions, requests and feedback keep their client's manager (a manager's list
    reads theirs from one index): logged under one manager, they follow the client to the
    next one the moment the replica learns of it, in every list, filter, lookup and the
    feedback report, and leave the
    previous manager's; the head of both sees them throughout."""
    head = await any_api.staff("Hana", "head", "north")
    mia = await any_api.staff("Mia", "manager", "north", head_id=head.id)
    sam = await any_api.staff("Sam", "manager", "north", head_id=head.id)
    acme, kept = await any_api.client("Acme", mia), await any_api.client("Kept", mia)
    moved = await any_api.log(mia.headers, acme, requires_response=True)
    any_api.advance(minutes=1)
    stays = await any_api.log(mia.headers, kept, requires_response=True)
    scores = {}
    for client, score in ((acme, 3), (kept, 10)):
        answer = await any_api.http.post(
            "/api/v1/feedback",
            json={"client_id": client.id, "kind": "nps", "score": score},
            headers=mia.headers,
        )
        assert answer.status_code == 201, answer.text
        scores[client.id] = answer.json()["id"]

    async def ids(who: Any, path: str, key: str = "id", **params: str) -> list[str]:
        return [item[key] for item in await all_items(any_api.http, path, who.headers, **params)]

    assert await ids(mia, "/api/v1/interactions") == [stays["id"], moved["id"]]
    assert await ids(sam, "/api/v1/interactions") == []
    any_api.advance(minutes=1)
    await any_api.client("Acme", sam, updated=True, client_id=acme.id)

    for path, one in (("/api/v1/interactions", "id"), ("/api/v1/requests", "request_id")):
        assert await ids(sam, path) == [moved[one]], path
        assert await ids(sam, path, sort="-created_at" if one == "id" else "due_at") == [moved[one]]
        assert await ids(mia, path) == [stays[one]], path
        assert await ids(head, path) == [stays[one], moved[one]], path
        assert (await any_api.http.get(f"{path}/{moved[one]}", headers=sam.headers)).is_success
        gone = await any_api.http.get(f"{path}/{moved[one]}", headers=mia.headers)
        assert gone.status_code == 404, path
    # feedback, and the feedback report counting it by its copy of the manager
    assert await ids(sam, "/api/v1/feedback") == [scores[acme.id]]
    assert await ids(mia, "/api/v1/feedback") == [scores[kept.id]]
    assert sorted(await ids(head, "/api/v1/feedback")) == sorted(scores.values())
    gone = await any_api.http.get(f"/api/v1/feedback/{scores[acme.id]}", headers=mia.headers)
    assert gone.status_code == 404
    for who, detractors, promoters in ((sam, 1, 0), (mia, 0, 1), (head, 1, 1)):
        report = await any_api.http.get("/api/v1/reports/feedback", headers=who.headers)
        counts = (report.json()["detractors"], report.json()["promoters"])
        assert counts == (detractors, promoters), who.id
    by_manager = await any_api.http.get("/api/v1/reports/feedback", headers=head.headers)
    assert [(m["name"], m["responses"]) for m in by_manager.json()["managers"]] == [
        ("Mia", 1),
        ("Sam", 1),
    ]
    assert await ids(head, "/api/v1/requests", account_manager_id=sam.id) == [moved["request_id"]]
    assert await ids(head, "/api/v1/requests", account_manager_id=mia.id) == [stays["request_id"]]
    # logged after the move: the new manager's at once
    later = await any_api.log(sam.headers, acme, requires_response=True)
    assert await ids(sam, "/api/v1/interactions") == [later["id"], moved["id"]]
    assert await ids(sam, "/api/v1/requests") == [later["request_id"], moved["request_id"]]


async def test_rows_written_without_the_copy_are_given_their_managers(any_api: Api) -> None:
    """The previous version of the service, still running while the migration added the
    copy, writes rows without it: the runtime's round gives them their client's manager
    (rows of a client with none stay without one), and the manager's lists show them."""
    mia = await any_api.staff("Mia")
    acme, nobodys = await any_api.client("Acme", mia), await any_api.client("Nobody's", None)
    logged = await any_api.log(mia.headers, acme, requires_response=True)
    await any_api.log(ADMIN, nobodys, requires_response=True)
    score = await any_api.http.post(
        "/api/v1/feedback", json={"client_id": acme.id, "kind": "csat", "score": 5}, headers=ADMIN
    )
    assert score.status_code == 201, score.text
    copies = any_api.runtime.spec.manager_copies
    async with any_api.runtime.sessions() as session:
        for table in copies:  # as the previous version wrote them
            await session.execute(table.update().values(account_manager_id=None))
        await session.commit()
    assert await all_items(any_api.http, "/api/v1/interactions", mia.headers) == []

    async with any_api.runtime.sessions() as session:
        assert await fill_manager_copies(session, copies) == 3  # acme's interaction, request, score
        await session.commit()
        assert await fill_manager_copies(session, copies) == 0
    listed = await all_items(any_api.http, "/api/v1/interactions", mia.headers)
    assert [i["id"] for i in listed] == [logged["id"]]
    requests = await all_items(any_api.http, "/api/v1/requests", mia.headers)
    assert [r["id"] for r in requests] == [logged["request_id"]]
    feedback = await all_items(any_api.http, "/api/v1/feedback", mia.headers)
    assert [f["id"] for f in feedback] == [score.json()["id"]]
