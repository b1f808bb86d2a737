"""Planned meetings over HTTP, on SQLite (the embedded mode) and PostgreSQL: scheduling and
its 422s, the scope (another manager: 404; an invited specialist sees, but does not change),
the state machine (409 on an illegal change), the events in the writes' units of work, the
reminder and no-outcome scans (each once, however often they run), and marking it held: the
meeting interaction, whose report falls due and is linked back."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.interactions.workers import SCANS
from tests.integration.interactions.helpers import NOW, Api, iso
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration

Z = "+00:00"


@pytest.fixture
def api(any_api: Api) -> Api:
    return any_api


def at(**delta: float) -> str:
    return iso(NOW + timedelta(**delta))


def utc(moment: str) -> str:
    return moment.replace(Z, "Z")


async def plan(api: Api, who: dict[str, str], expect: int = 201, **body: Any) -> dict[str, Any]:
    response = await api.http.post("/api/v1/meetings", headers=who, json=body)
    assert response.status_code == expect, response.text
    return dict(response.json())


async def scan(api: Api, *names: str) -> None:
    for _ in range(2):  # twice: a second run finds nothing more
        for name in names:
            await SCANS[name](api.runtime.uow, api.clock.now(), 2)


async def test_plan_reschedule_cancel_and_the_scope(api: Api) -> None:
    mia = await api.staff("Mia", "manager", "north")
    sam = await api.staff("Sam", "manager", "engineering")
    other = await api.staff("Olga", "manager", "north")
    acme = await api.client("Acme", mia, contacts=2)
    elsewhere = await api.client("Elsewhere", other)
    body = {
        "client_id": acme.id,
        "starts_at": at(days=2),
        "ends_at": at(days=2, hours=1),
        "subject": "Quarterly review",
        "agenda": "Roadmap",
        "location": "https://meet.example/acme",
        "contact_ids": acme.contacts,
        "staff_ids": [sam.id],
    }
    for change, fields in [
        ({"starts_at": at(minutes=-1)}, {"starts_at"}),
        ({"ends_at": at(days=2)}, {"ends_at"}),
        ({"contact_ids": [str(uuid.uuid4())]}, {"contact_ids.0"}),
        ({"contact_ids": [acme.contacts[0]] * 2}, {"contact_ids"}),
        ({"staff_ids": [sam.id, str(uuid.uuid4())]}, {"staff_ids.1"}),
        ({"subject": ""}, {"subject"}),
        ({"kind": "dinner"}, {"kind"}),
    ]:
        response = await api.http.post(
            "/api/v1/meetings", headers=mia.headers, json={**body, **change}
        )
        assert field_errors(response) == fields, change
    await plan(api, mia.headers, 404, **{**body, "client_id": elsewhere.id, "contact_ids": []})

    meeting = await plan(api, mia.headers, **body)
    assert meeting["status"] == "planned" and meeting["kind"] == "meeting"
    assert meeting["sequence"] == 0 and meeting["interaction_id"] is None
    assert meeting["organizer_id"] == mia.id and meeting["staff_ids"] == [mia.id, sam.id]
    path = f"/api/v1/meetings/{meeting['id']}"
    (scheduled,) = await api.events("meeting.scheduled")
    assert scheduled["meeting_id"] == meeting["id"] and scheduled["client_name"] == "Acme"
    assert [c["contact_id"] for c in scheduled["contacts"]] == acme.contacts
    assert scheduled["contacts"][0]["email"] and scheduled["location"] == body["location"]

    # scope: another manager does not see it; the invited specialist sees, not changes
    assert (await api.http.get(path, headers=other.headers)).status_code == 404
    listed = await api.http.get("/api/v1/meetings", headers=other.headers)
    assert listed.json()["items"] == []
    assert (await api.http.get(path, headers=sam.headers)).json()["id"] == meeting["id"]
    cancel = {"reason": "no"}
    assert (
        await api.http.post(f"{path}/cancel", headers=sam.headers, json=cancel)
    ).status_code == 403
    assert (
        await api.http.post(f"{path}/cancel", headers=other.headers, json=cancel)
    ).status_code == 404

    moved = await api.http.post(
        f"{path}/reschedule",
        headers=mia.headers,
        json={"starts_at": at(days=3), "ends_at": at(days=3, hours=2), "reason": "client asked"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 1 and moved.json()["reason"] == "client asked"
    (rescheduled,) = await api.events("meeting.rescheduled")
    assert rescheduled["previous_starts_at"] == utc(body["starts_at"])
    assert rescheduled["starts_at"] == utc(at(days=3)) and rescheduled["sequence"] == 1
    bad = await api.http.post(
        f"{path}/reschedule",
        headers=mia.headers,
        json={"starts_at": at(hours=-1), "ends_at": at(hours=1), "reason": "x"},
    )
    assert field_errors(bad) == {"starts_at"}

    cancelled = await api.http.post(f"{path}/cancel", headers=mia.headers, json={"reason": "ill"})
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["sequence"] == 2
    (event,) = await api.events("meeting.cancelled")
    assert event["reason"] == "ill" and event["status"] == "cancelled" and event["sequence"] == 2
    for action, payload in [
        ("reschedule", {"starts_at": at(days=4), "ends_at": at(days=4, hours=1), "reason": "x"}),
        ("cancel", {"reason": "again"}),
        ("held", {}),
    ]:
        refused = await api.http.post(f"{path}/{action}", headers=mia.headers, json=payload)
        assert refused.status_code == 409, action
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert len(await api.events("meeting.rescheduled")) == 1  # the refused wrote nothing


async def test_listing_in_calendar_order_with_filters_and_pages(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    beta = await api.client("Beta", mia)
    for client, day in ((acme, 3), (beta, 1), (acme, 2)):
        await plan(
            api,
            mia.headers,
            client_id=client.id,
            starts_at=at(days=day),
            ends_at=at(days=day, hours=1),
            subject=f"Day {day}",
        )

    async def subjects(**params: Any) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            page = await api.http.get(
                "/api/v1/meetings",
                headers=mia.headers,
                params={**params, "limit": 1, **({"cursor": cursor} if cursor else {})},
            )
            assert page.status_code == 200, page.text
            found += [m["subject"] for m in page.json()["items"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return found

    assert await subjects() == ["Day 1", "Day 2", "Day 3"]
    assert await subjects(client_id=acme.id) == ["Day 2", "Day 3"]
    assert await subjects(**{"from": at(days=2), "to": at(days=3)}) == ["Day 2"]
    assert await subjects(status="cancelled") == []


async def test_held_logs_the_meeting_whose_report_falls_due_and_is_linked(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, report_hours=24)
    headers = {**mia.headers, "Idempotency-Key": "plan-review"}
    body = {
        "client_id": acme.id,
        "starts_at": at(hours=2),
        "ends_at": at(hours=3),
        "subject": "Review",
        "contact_ids": acme.contacts[:1],
    }
    meeting = await plan(api, headers, **body)
    assert (await plan(api, headers, **body))["id"] == meeting["id"]  # replayed
    assert len(await api.events("meeting.scheduled")) == 1
    path = f"/api/v1/meetings/{meeting['id']}"
    early = await api.http.post(f"{path}/held", headers=mia.headers)
    assert early.status_code == 409  # not begun

    api.advance(hours=3, minutes=30)
    held = await api.http.post(f"{path}/held", headers=mia.headers, json={"summary": "Agreed"})
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "held" and held.json()["sequence"] == 0
    interaction_id = held.json()["interaction_id"]
    interaction = (
        await api.http.get(f"/api/v1/interactions/{interaction_id}", headers=mia.headers)
    ).json()
    assert interaction["type"] == "meeting" and interaction["meeting_id"] == meeting["id"]
    assert interaction["occurred_at"] == utc(at(hours=2))
    assert interaction["report_due_at"] == utc(at(hours=26))
    assert interaction["summary"] == "Agreed" and interaction["contact_ids"] == acme.contacts[:1]
    (logged,) = await api.events("interaction.logged")
    assert logged["interaction_id"] == interaction_id and logged["is_contact"] is True

    # the report falls due as for any meeting, and is linked to the planned meeting
    api.advance(hours=23)
    await scan(api, "meeting_report_overdue", "meeting_no_outcome")
    (overdue,) = await api.events("meeting.report_overdue")
    assert overdue["interaction_id"] == interaction_id
    assert await api.events("meeting.no_outcome") == []  # held: it had an outcome
    report = await api.http.post(
        f"/api/v1/interactions/{interaction_id}/report",
        headers=mia.headers,
        json={"summary": "Agreed on the roadmap"},
    )
    assert report.status_code == 201, report.text
    assert report.json()["meeting_id"] == meeting["id"] and report.json()["on_time"] is False


async def test_the_reminder_and_the_no_outcome_alert_once_each(api: Api) -> None:
    """The reminder (30 minutes ahead by default) once per start: a rescheduled meeting is
    reminded of again; the no-outcome alert (4 hours after the end) once; a cancelled meeting
    has neither."""
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    meetings = [
        await plan(
            api,
            mia.headers,
            client_id=acme.id,
            kind=kind,
            starts_at=at(hours=1),
            ends_at=at(hours=2),
            subject=kind,
        )
        for kind in ("meeting", "call", "meeting")
    ]
    gone = meetings.pop()
    cancel = await api.http.post(
        f"/api/v1/meetings/{gone['id']}/cancel", headers=mia.headers, json={"reason": "off"}
    )
    assert cancel.status_code == 200
    names = ("meeting_reminder", "meeting_no_outcome")
    api.advance(minutes=20)
    await scan(api, *names)
    assert await api.events("meeting.reminder") == []
    api.advance(minutes=15)  # 25 minutes before the start
    await scan(api, *names)
    reminders = await api.events("meeting.reminder")
    assert sorted(r["kind"] for r in reminders) == ["call", "meeting"]
    assert all(r["lead_minutes"] == 30 and r["staff_ids"] == [mia.id] for r in reminders)
    moved = await api.http.post(
        f"/api/v1/meetings/{meetings[1]['id']}/reschedule",
        headers=mia.headers,
        json={"starts_at": at(hours=5), "ends_at": at(hours=6), "reason": "later"},
    )
    assert moved.status_code == 200
    api.advance(hours=4, minutes=5)  # 20 minutes before the call's new start
    await scan(api, *names)
    assert len(await api.events("meeting.reminder")) == 3
    assert await api.events("meeting.no_outcome") == []
    api.advance(hours=1, minutes=25)  # 4 hours 5 minutes after the meeting's end
    await scan(api, *names)
    (no_outcome,) = await api.events("meeting.no_outcome")
    assert no_outcome["meeting_id"] == meetings[0]["id"] and no_outcome["hours_since_end"] == 4
    assert no_outcome["status"] == "planned"
    api.advance(hours=10)
    await scan(api, *names)
    assert [e["meeting_id"] for e in await api.events("meeting.no_outcome")] == [
        meetings[0]["id"],
        meetings[1]["id"],
    ]


async def test_a_meeting_planned_before_the_lapse_keeps_the_cadence_quiet(api: Api) -> None:
    """Cadence of 3 days, warned 1 day ahead. Acme's meeting (day 2) is held: a contact, no
    alert. Gamma's (day 2) is never marked: quiet until 4 hours after its end, then its lapse
    is alerted. Delta's meeting comes after the lapse (day 4): it covers nothing. Beta has
    none."""
    mia = await api.staff("Mia")
    acme, beta, gamma, delta = [
        await api.client(name, mia, cadence_days=3) for name in ("Acme", "Beta", "Gamma", "Delta")
    ]
    planned = {
        client.id: await plan(
            api,
            mia.headers,
            client_id=client.id,
            starts_at=at(days=day),
            ends_at=at(days=day, hours=1),
            subject="Check-in",
        )
        for client, day in ((acme, 2), (gamma, 2), (delta, 4))
    }
    names = ("contact_overdue", "contact_due_soon")
    api.advance(days=2, hours=2)  # the lapses (day 3) are 22 hours away
    held = await api.http.post(
        f"/api/v1/meetings/{planned[acme.id]['id']}/held", headers=mia.headers
    )
    assert held.status_code == 200, held.text
    await scan(api, *names)
    warned = {e["client_id"] for e in await api.events("client.contact_due_soon")}
    assert warned == {beta.id, delta.id}
    api.advance(days=1, hours=-1)  # day 3, 1 hour: past the lapses
    await scan(api, *names)
    overdue = [e["client_id"] for e in await api.events("client.contact_overdue")]
    assert sorted(overdue) == sorted([beta.id, gamma.id, delta.id])
