"""``GET /api/v1/clients/{id}/timeline`` and ``/summary`` on the notifications service, on
SQLite and PostgreSQL: a month of a client's events from every service (timeline_world.py)
through the real consumer, read back merged newest first, paged, filtered and scoped; the
same events delivered again change nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from services.notifications.domain.timeline import TIMELINE_TYPES
from services.notifications.events import AlertEscalatedV1
from tests.integration.notifications.helpers import ADMIN, NOW, Notif
from tests.integration.notifications.timeline_world import DAY, Month, live


async def world(notif: Notif) -> tuple[Month, dict[str, dict[str, str]]]:
    head = await notif.staff("Hana", role="head")
    manager = await notif.staff("Ann", head=head)
    other = await notif.staff("Olga")
    client_id = await notif.client("Initech", manager, timezone="Europe/Berlin")
    month = await live(notif, manager, client_id)
    callers = {"manager": manager.headers, "head": head.headers, "other": other.headers}
    month.ids["head"] = head.id
    return month, callers


async def timeline(notif: Notif, m: Month, headers: dict[str, str], **params: Any) -> Any:
    response = await notif.http.get(
        f"/api/v1/clients/{m.client_id}/timeline", headers=headers, params=params
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_one_merged_stream_newest_first_paged_filtered_and_idempotent(
    any_notif: Notif,
) -> None:
    m, callers = await world(any_notif)
    # the overdue invoice's alert, unacknowledged, went up to the head (the scan's event)
    await m.at(
        NOW,
        AlertEscalatedV1(
            client_id=m.client_id,
            alert_event_id=m.sent[-1].id,
            alert_type="orbit.billing.invoice.overdue.v1",
            severity="critical",
            title="Invoice 2026-000042 overdue",
            level=1,
            from_staff_id=m.manager.id,
            to_staff_id=m.ids["head"],
            notification_id=uuid.uuid4(),
            escalate_after="P1D",
            escalated_at=NOW,
        ),
    )
    page = await timeline(any_notif, m, callers["manager"], limit=500)
    items = page["items"]
    assert page["next_cursor"] is None
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_type.setdefault(item["type"], []).append(item)
    assert set(by_type) == set(TIMELINE_TYPES) - {"meeting_report"}

    # a request is one entry in its latest SLA state (answered within its hour after at-risk)
    (req,) = by_type["request"]
    assert req["id"] == str(m.ids["request"])
    assert req["details"]["sla"] == "met"
    assert req["details"]["status"] == "acknowledged"
    # the meeting moved with its reschedule: one entry, at its new start, sequence 1
    (meeting,) = by_type["meeting"]
    assert meeting["at"].startswith((NOW + 6 * DAY).date().isoformat())
    assert meeting["details"]["sequence"] == 1
    assert meeting["details"]["reason"] == "Client asked"
    (invoice,) = by_type["invoice"]
    assert invoice["details"]["status"] == "overdue"
    # the opportunity's stage changes are history: one entry each
    assert [o["details"]["new_stage"] for o in by_type["opportunity"]] == ["proposal", "lead"]
    # the alerts the rules raised about the client: the at-risk SLA, the low NPS, the overdue
    # invoice (one entry per event, whoever was notified), newest first with the rest
    alerts = {a["details"]["event_type"] for a in by_type["alert"]}
    assert {
        "orbit.interactions.sla.at_risk.v1",
        "orbit.interactions.feedback.received.v1",
        "orbit.billing.invoice.overdue.v1",
    } <= alerts
    escalated = [a for a in by_type["alert"] if "level" in a["details"]]
    assert [(a["title"], a["details"]["level"]) for a in escalated] == [
        ("Escalated (level 1): Invoice 2026-000042 overdue", 1)
    ]

    # paged by two through equal timestamps (the contact and task events share NOW - 1 day):
    # every entry once, in the same order
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        chunk = await timeline(any_notif, m, callers["manager"], **params)
        seen += [f"{i['type']}:{i['id']}:{i['at']}" for i in chunk["items"]]
        cursor = chunk["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"{i['type']}:{i['id']}:{i['at']}" for i in items]

    some = await timeline(any_notif, m, callers["manager"], types="invoice,payment")
    assert {i["type"] for i in some["items"]} == {"invoice", "payment"}
    repeated = await timeline(any_notif, m, callers["manager"], types=["task", "feedback"])
    assert {i["type"] for i in repeated["items"]} == {"task", "feedback"}
    before = (NOW - 5 * DAY).isoformat()
    older = await timeline(any_notif, m, callers["manager"], before=before)
    assert older["items"] and all(i["at"] < before for i in older["items"])

    # at-least-once: every event delivered again leaves the same timeline
    await m.replay()
    assert (await timeline(any_notif, m, callers["manager"], limit=500))["items"] == items


async def test_scoped_like_the_client_and_bad_parameters_are_422(any_notif: Notif) -> None:
    m, callers = await world(any_notif)
    path = f"/api/v1/clients/{m.client_id}"
    for who in ("manager", "head"):
        for tail in ("/timeline", "/summary"):
            response = await any_notif.http.get(path + tail, headers=callers[who])
            assert response.status_code == 200, (who, tail, response.text)
    for tail in ("/timeline", "/summary"):
        assert (await any_notif.http.get(path + tail, headers=ADMIN)).status_code == 200
        foreign = await any_notif.http.get(path + tail, headers=callers["other"])
        assert foreign.status_code == 404
        assert foreign.headers["content-type"].startswith("application/problem+json")
        assert "Initech" not in foreign.text
        unknown = await any_notif.http.get(f"/api/v1/clients/{uuid.uuid4()}{tail}", headers=ADMIN)
        assert unknown.status_code == 404
    for params in ({"types": "invoice,nonsense"}, {"cursor": "garbage"}, {"limit": 0}):
        response = await any_notif.http.get(path + "/timeline", headers=ADMIN, params=params)
        assert response.status_code == 422, (params, response.text)


async def test_the_summary_of_the_client(any_notif: Notif) -> None:
    m, callers = await world(any_notif)
    # an NPS of 10 entered by mistake, withdrawn: the last NPS that counts is still the 3
    mistake = {
        **{k: str(v) if isinstance(v, uuid.UUID) else v for k, v in m.team().items()},
        "feedback_id": str(uuid.uuid4()),
        "kind": "nps",
        "score": 10,
        "low": False,
        "received_at": (NOW - DAY).isoformat(),
    }
    received = {**mistake, "comment": None, "contact_id": None, "recorded_by": str(m.manager.id)}
    await m.at(NOW - DAY, ("orbit.interactions.feedback.received.v1", received))
    withdrawn = {
        **mistake,
        "withdrawn_at": NOW.isoformat(),
        "withdrawn_by": str(m.manager.id),
        "reason": "wrong client",
    }
    await m.at(NOW, ("orbit.interactions.feedback.withdrawn.v1", withdrawn))
    feedback = await timeline(any_notif, m, callers["manager"], types="feedback")
    assert [f["title"] for f in feedback["items"]] == ["NPS 10 (withdrawn)", "NPS 3"]
    # two CSATs, the later one received first: the last that counts is the later one's
    for days, score in ((2, 4), (5, 2)):
        csat = {**received, "feedback_id": str(uuid.uuid4()), "kind": "csat", "score": score}
        csat["received_at"] = (NOW - days * DAY).isoformat()
        await m.at(NOW, ("orbit.interactions.feedback.received.v1", csat))
    response = await any_notif.http.get(
        f"/api/v1/clients/{m.client_id}/summary", headers=callers["manager"]
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    last_contact = NOW - 10 * DAY + timedelta(minutes=50)
    assert summary == {
        "client_id": str(m.client_id),
        "today": NOW.date().isoformat(),  # 10:00 in Berlin
        "open_requests": 1,  # acknowledged: the full answer is promised
        "nearest_deadline": (NOW + 2 * DAY).isoformat().replace("+00:00", "Z"),
        "last_contact_at": last_contact.isoformat().replace("+00:00", "Z"),
        "days_since_last_contact": 10,
        "next_contact_due": (last_contact + 14 * DAY).isoformat().replace("+00:00", "Z"),
        "open_tasks": 1,
        "next_task_due": (NOW + 3 * DAY).isoformat().replace("+00:00", "Z"),
        "outstanding": [{"currency": "EUR", "amount": "1000.00"}],
        "overdue": [{"currency": "EUR", "amount": "1000.00"}],
        "last_nps": {"score": 3, "at": (NOW - 3 * DAY).isoformat().replace("+00:00", "Z")},
        "last_csat": {"score": 4, "at": (NOW - 2 * DAY).isoformat().replace("+00:00", "Z")},
        "contract_end": (NOW + 200 * DAY).date().isoformat(),
    }
