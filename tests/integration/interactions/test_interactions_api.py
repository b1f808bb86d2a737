"""The interaction log and requests over HTTP on PostgreSQL: logging, opening a request with
its due date in the client's business calendar, answering (twice), promises, holds, meeting
reports, and the 404/409/422 problems of bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.interactions.workers import SCANS
from tests.integration.interactions.helpers import ADMIN, NOW, Api, iso
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration


@pytest.fixture
def api(any_api: Api) -> Api:
    """Each test here runs on SQLite (the embedded mode) and on PostgreSQL."""
    return any_api


async def test_an_inbound_request_is_due_in_business_time_and_answered(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    inbound = await api.log(
        mia.headers,
        acme,
        subject="Invoice question",
        requires_response=True,
        contact_ids=[acme.contacts[0]],
    )
    assert inbound["author_id"] == mia.id
    request = await api.request(mia.headers, inbound["request_id"])
    # Mon 10:00 CET + 60 business minutes = 11:00 CET = 10:00 UTC
    assert request["due_at"] == "2026-11-23T10:00:00Z"
    assert request["status"] == "open" and request["first_response_minutes"] == 60
    assert request["at_risk_at"] == "2026-11-23T09:45:00Z"

    api.advance(minutes=30)
    reply = await api.log(
        mia.headers,
        acme,
        direction="outbound",
        responds_to=inbound["id"],
        subject="Re: Invoice question",
    )
    assert reply["request_id"] is None
    answered = await api.request(mia.headers, inbound["request_id"])
    assert answered["status"] == "answered"
    assert answered["answered_at"] == iso(NOW + timedelta(minutes=30)).replace("+00:00", "Z")
    assert answered["response_minutes"] == 30 and answered["breached"] is False
    assert answered["response_interaction_id"] == reply["id"]

    # answering twice is fine and changes nothing
    api.advance(hours=5)
    await api.log(mia.headers, acme, direction="outbound", responds_to=inbound["id"])
    assert await api.request(mia.headers, inbound["request_id"]) == answered

    assert await api.event_types() == [
        "interaction.logged",
        "request.opened",
        "interaction.logged",
        "request.answered",
        "interaction.logged",
    ]
    opened = (await api.events("request.opened"))[0]
    assert opened["client_name"] == "Acme" and opened["account_manager_id"] == mia.id
    assert opened["due_at"] == "2026-11-23T10:00:00Z"
    assert opened["contact_ids"] == [acme.contacts[0]]
    answered_event = (await api.events("request.answered"))[0]
    assert answered_event["status"] == "answered" and answered_event["first_response"] is True
    logged = await api.events("interaction.logged")
    assert [e["is_contact"] for e in logged] == [False, True, True]


async def test_a_late_answer_stays_breached_and_a_missed_call_opens_a_request(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, first_response_minutes=30)
    call = await api.log(mia.headers, acme, type="call", missed=True)
    assert call["request_id"] is not None
    api.advance(hours=2)
    seen = await api.request(mia.headers, call["request_id"])
    assert seen["status"] == "breached" and seen["breached"] is True
    listed = (
        await api.http.get("/api/v1/requests", headers=mia.headers, params={"status": "breached"})
    ).json()["items"]
    assert [r["id"] for r in listed] == [call["request_id"]]
    await api.log(mia.headers, acme, type="call", direction="outbound", responds_to=call["id"])
    late = await api.request(mia.headers, call["request_id"])
    assert late["status"] == "answered" and late["breached"] is True
    assert late["response_minutes"] == 120


async def test_a_promise_acknowledges_then_a_reply_resolves(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    inbound = await api.log(mia.headers, acme, requires_response=True)
    api.advance(minutes=10)
    promise_by = NOW + timedelta(days=1)
    await api.log(
        mia.headers,
        acme,
        direction="outbound",
        responds_to=inbound["id"],
        promise_by=iso(promise_by),
    )
    ack = await api.request(mia.headers, inbound["request_id"])
    assert ack["status"] == "acknowledged"
    assert ack["acknowledged_at"] is not None and ack["resolved_at"] is None
    assert ack["promised_by"] == "2026-11-24T09:00:00Z"
    api.advance(hours=3)
    await api.log(mia.headers, acme, direction="outbound", responds_to=inbound["id"])
    done = await api.request(mia.headers, inbound["request_id"])
    assert done["status"] == "answered" and done["resolved_at"] is not None
    assert done["answered_at"] == ack["answered_at"]  # the first response stays the first
    answered = await api.events("request.answered")
    assert [(e["status"], e["first_response"]) for e in answered] == [
        ("acknowledged", True),
        ("answered", False),
    ]

    # a promise must lie after the reply making it
    other = await api.log(mia.headers, acme, requires_response=True)
    response = await api.http.post(
        "/api/v1/interactions",
        headers=mia.headers,
        json={
            "client_id": acme.id,
            "type": "email",
            "direction": "outbound",
            "occurred_at": iso(api.clock.now()),
            "responds_to": other["id"],
            "promise_by": iso(api.clock.now() - timedelta(minutes=1)),
        },
    )
    assert field_errors(response) == {"promise_by"}


async def test_hold_and_resume_move_the_due_date(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, first_response_minutes=240)
    inbound = await api.log(mia.headers, acme, requires_response=True)
    request_id = inbound["request_id"]
    # due Mon 10:00 CET + 240 = 14:00 CET (13:00 UTC)
    assert (await api.request(mia.headers, request_id))["due_at"] == "2026-11-23T13:00:00Z"
    api.advance(hours=1)
    held = await api.http.post(
        f"/api/v1/requests/{request_id}/hold",
        headers=mia.headers,
        json={"reason": "waiting for the client's logs"},
    )
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "on_hold"
    again = await api.http.post(
        f"/api/v1/requests/{request_id}/hold", headers=mia.headers, json={"reason": "again"}
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    api.advance(hours=2)
    assert (await api.request(mia.headers, request_id))["on_hold_minutes"] == 120
    resumed = await api.http.post(f"/api/v1/requests/{request_id}/resume", headers=mia.headers)
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["status"] == "open" and body["on_hold_minutes"] == 120
    assert body["due_at"] == "2026-11-23T15:00:00Z"
    twice = await api.http.post(f"/api/v1/requests/{request_id}/resume", headers=mia.headers)
    assert twice.status_code == 409
    blank = await api.http.post(
        f"/api/v1/requests/{request_id}/hold", headers=mia.headers, json={"reason": "  "}
    )
    assert field_errors(blank) == {"reason"}


async def test_replies_that_answer_nothing(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    globex = await api.client("Globex", mia)
    note = await api.log(mia.headers, acme, type="note", direction="internal")
    inbound = await api.log(mia.headers, globex, requires_response=True)
    base = {"client_id": acme.id, "type": "email", "direction": "outbound", "occurred_at": iso(NOW)}
    for responds_to in (note["id"], inbound["id"]):
        response = await api.http.post(
            "/api/v1/interactions", headers=mia.headers, json={**base, "responds_to": responds_to}
        )
        assert field_errors(response) == {"responds_to"}
    unknown = await api.http.post(
        "/api/v1/interactions", headers=mia.headers, json={**base, "responds_to": str(uuid.uuid4())}
    )
    assert unknown.status_code == 404


async def test_bad_interactions_are_422_naming_the_fields(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    other = await api.client("Other", mia)
    base = {"client_id": acme.id, "type": "email", "direction": "inbound", "occurred_at": iso(NOW)}
    cases = [
        ({"occurred_at": iso(NOW + timedelta(minutes=6))}, {"occurred_at"}),
        ({"occurred_at": "2026-11-23T09:00:00"}, {"occurred_at"}),
        ({"occurred_at": "9999-12-31T23:59:59-14:00"}, {"occurred_at"}),
        ({"occurred_at": "0001-01-01T00:00:00+14:00"}, {"occurred_at"}),
        ({"type": "fax"}, {"type"}),
        ({"contact_ids": [other.contacts[0]]}, {"contact_ids.0"}),
        ({"missed": True}, {"missed"}),
        ({"direction": "outbound", "requires_response": True}, {"requires_response"}),
        ({"promise_by": iso(NOW + timedelta(hours=1))}, {"promise_by"}),
        ({"responds_to": str(uuid.uuid4())}, {"responds_to"}),
        ({"subject": "bad\x00"}, {"subject"}),
        ({"colour": "red"}, {"colour"}),
    ]
    for change, fields in cases:
        response = await api.http.post(
            "/api/v1/interactions", headers=mia.headers, json={**base, **change}
        )
        assert field_errors(response) == fields, change
    # five minutes ahead is a clock difference
    await api.log(mia.headers, acme, occurred_at=iso(NOW + timedelta(minutes=5)))
    assert (
        await api.http.post("/api/v1/interactions", headers=mia.headers, content=b"{not json")
    ).status_code == 422
    bad_cursor = await api.http.get(
        "/api/v1/interactions", headers=mia.headers, params={"cursor": "nope"}
    )
    assert field_errors(bad_cursor) == {"cursor"}
    bad_from = await api.http.get(
        "/api/v1/interactions", headers=mia.headers, params={"from": "0001-01-01T00:00:00+14:00"}
    )
    assert bad_from.status_code == 422


async def test_listing_is_newest_first_with_filters_and_cursor(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    globex = await api.client("Globex", mia)
    ids = []
    for hours, client, kind in (
        (5, acme, "email"),
        (4, acme, "call"),
        (3, globex, "email"),
        (2, acme, "note"),
    ):
        direction = "internal" if kind == "note" else "inbound"
        logged = await api.log(
            mia.headers,
            client,
            type=kind,
            direction=direction,
            occurred_at=iso(NOW - timedelta(hours=hours)),
        )
        ids.append(logged["id"])

    async def page(**params: str) -> dict:
        response = await api.http.get("/api/v1/interactions", headers=mia.headers, params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    assert [i["id"] for i in (await page())["items"]] == ids[::-1]
    assert [i["id"] for i in (await page(client_id=acme.id))["items"]] == [ids[3], ids[1], ids[0]]
    assert [i["id"] for i in (await page(type="email"))["items"]] == [ids[2], ids[0]]
    assert [
        i["id"]
        for i in (
            await page(
                **{"from": iso(NOW - timedelta(hours=4)), "to": iso(NOW - timedelta(hours=2))}
            )
        )["items"]
    ] == [ids[2], ids[1]]
    first = await page(limit="3")
    rest = await page(limit="3", cursor=first["next_cursor"])
    assert [i["id"] for i in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert (await page(author_id=str(uuid.uuid4())))["items"] == []


async def test_meeting_reports(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia, report_hours=24)
    meeting = await api.log(
        mia.headers,
        acme,
        type="meeting",
        direction="outbound",
        subject="Quarterly review",
        contact_ids=acme.contacts,
        occurred_at=iso(NOW - timedelta(hours=2)),
    )
    assert meeting["report_due_at"] == "2026-11-24T07:00:00Z"
    email = await api.log(mia.headers, acme)
    path = f"/api/v1/interactions/{meeting['id']}/report"
    assert (await api.http.get(path, headers=mia.headers)).status_code == 404
    body = {
        "summary": "Renewal discussed",
        "decisions": ["renew for 2 years"],
        "next_steps": ["send the offer"],
    }
    not_meeting = await api.http.post(
        f"/api/v1/interactions/{email['id']}/report", headers=mia.headers, json=body
    )
    assert not_meeting.status_code == 409
    created = await api.http.post(path, headers=mia.headers, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["on_time"] is True
    assert (await api.http.post(path, headers=mia.headers, json=body)).status_code == 409
    got = await api.http.get(path, headers=mia.headers)
    assert got.json()["decisions"] == ["renew for 2 years"]
    assert (
        await api.http.get(f"/api/v1/interactions/{meeting['id']}", headers=mia.headers)
    ).json()["report_submitted_at"] is not None
    event = (await api.events("meeting.report_submitted"))[0]
    assert event["subject"] == "Quarterly review" and event["next_steps"] == ["send the offer"]
    assert [c["contact_id"] for c in event["contacts"]] == acme.contacts
    assert all(c["email"] for c in event["contacts"])
    empty = await api.http.post(path, headers=mia.headers, json={"summary": ""})
    assert field_errors(empty) == {"summary"}


async def test_idempotent_logging(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    body = {
        "client_id": acme.id,
        "type": "email",
        "direction": "inbound",
        "occurred_at": iso(NOW),
        "requires_response": True,
    }
    headers = {**mia.headers, "Idempotency-Key": "abc"}
    first = await api.http.post("/api/v1/interactions", headers=headers, json=body)
    again = await api.http.post("/api/v1/interactions", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert await api.event_types() == ["interaction.logged", "request.opened"]
    other = await api.http.post(
        "/api/v1/interactions", headers=headers, json={**body, "subject": "x"}
    )
    assert other.status_code == 409


async def test_unknown_client_and_admin_without_staff_record(api: Api) -> None:
    mia = await api.staff("Mia")
    await api.client("Acme", mia)
    response = await api.http.post(
        "/api/v1/interactions",
        headers=ADMIN,
        json={
            "client_id": str(uuid.uuid4()),
            "type": "email",
            "direction": "inbound",
            "occurred_at": iso(datetime.now(UTC)),
        },
    )
    assert response.status_code == 404


async def test_a_submitted_report_is_amended_with_a_reason(api: Api) -> None:
    """The report reads as amended, ``revision`` counts the amendments, on time stays as it
    was; ``meeting.report_amended`` carries the participants; no report yet, or another
    manager's meeting: 404."""
    mia = await api.staff("Mia")
    olga = await api.staff("Olga")
    acme = await api.client("Acme", mia)
    meeting = await api.log(
        mia.headers, acme, type="meeting", direction="outbound", contact_ids=acme.contacts
    )
    path = f"/api/v1/interactions/{meeting['id']}/report"
    amendment = {"summary": "Agreed on phase 2", "next_steps": ["Send the offer"], "reason": "typo"}
    assert (await api.http.put(path, headers=mia.headers, json=amendment)).status_code == 404
    submitted = await api.http.post(path, headers=mia.headers, json={"summary": "Agreed"})
    assert submitted.status_code == 201 and submitted.json()["revision"] == 0
    no_reason = {k: v for k, v in amendment.items() if k != "reason"}
    assert field_errors(await api.http.put(path, headers=mia.headers, json=no_reason)) == {"reason"}
    assert (await api.http.put(path, headers=olga.headers, json=amendment)).status_code == 404
    for revision in (1, 2):
        api.advance(hours=1)
        amended = await api.http.put(path, headers=mia.headers, json=amendment)
        assert amended.status_code == 200, amended.text
        assert amended.json()["revision"] == revision
    report = (await api.http.get(path, headers=mia.headers)).json()
    assert report["summary"] == "Agreed on phase 2" and report["next_steps"] == ["Send the offer"]
    assert report["on_time"] is True and report["amendment_reason"] == "typo"
    assert report["amended_by"] == mia.id and report["submitted_at"] < report["amended_at"]
    events = await api.events("meeting.report_amended")
    assert [e["revision"] for e in events] == [1, 2]
    assert [c["contact_id"] for c in events[0]["contacts"]] == acme.contacts
    assert events[0]["reason"] == "typo" and events[0]["amended_by"] == mia.id


async def test_a_request_that_is_not_one_is_closed_and_leaves_the_sla(api: Api) -> None:
    """Closed with a code and a reason (a held one too): ``closed``, out of the SLA report,
    no breach alert when its due date passes, ``request.closed`` once; closing again is 409,
    another manager's 404."""
    mia = await api.staff("Mia")
    olga = await api.staff("Olga")
    acme = await api.client("Acme", mia, first_response_minutes=60)
    spam = await api.log(mia.headers, acme, requires_response=True)
    held = await api.log(mia.headers, acme, requires_response=True)
    real = await api.log(mia.headers, acme, requires_response=True)
    hold = await api.http.post(
        f"/api/v1/requests/{held['request_id']}/hold", headers=mia.headers, json={"reason": "x"}
    )
    assert hold.status_code == 200
    body = {"reason": "an advertisement", "code": "spam"}
    path = f"/api/v1/requests/{spam['request_id']}/close"
    assert field_errors(await api.http.post(path, headers=mia.headers, json={"code": "spam"})) == {
        "reason"
    }
    assert (await api.http.post(path, headers=olga.headers, json=body)).status_code == 404
    closed = await api.http.post(path, headers=mia.headers, json=body)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["close_code"] == "spam"
    assert closed.json()["closed_by"] == mia.id and closed.json()["close_reason"] == body["reason"]
    assert (await api.http.post(path, headers=mia.headers, json=body)).status_code == 409
    duplicate = await api.http.post(
        f"/api/v1/requests/{held['request_id']}/close",
        headers=mia.headers,
        json={"reason": "asked twice", "code": "duplicate"},
    )
    assert duplicate.json()["status"] == "closed" and duplicate.json()["on_hold_since"] is None
    events = await api.events("request.closed")
    assert [(e["request_id"], e["code"]) for e in events] == [
        (spam["request_id"], "spam"),
        (held["request_id"], "duplicate"),
    ]
    api.advance(hours=2)
    for name in ("sla_breached", "sla_at_risk"):
        await SCANS[name](api.runtime.uow, api.clock.now(), 10)
    assert [e["request_id"] for e in await api.events("sla.breached")] == [real["request_id"]]
    report = (await api.http.get("/api/v1/reports/sla", headers=mia.headers)).json()
    assert report["requests"] == 1 and report["breached"] == 1
    listed = await api.http.get(
        "/api/v1/requests", headers=mia.headers, params={"status": "closed"}
    )
    assert len(listed.json()["items"]) == 2


async def test_an_interaction_logged_by_mistake_is_retracted_and_counts_no_more(api: Api) -> None:
    """Retracted with a reason: shown as retracted; as a contact it no longer moves the
    cadence (which counts from the last contact that still does, else from when the client
    became known); its request is closed (code ``retracted``, out of the SLA report); a
    retracted meeting's report is due no more. Again, a reply, another manager's: 409, 404."""
    mia = await api.staff("Mia")
    olga = await api.staff("Olga")
    acme = await api.client("Acme", mia, cadence_days=3, report_hours=24)
    quiet = await api.client("Quiet", mia, cadence_days=3)

    async def log(client: Any, days: float, **body: Any) -> dict[str, Any]:
        return await api.log(
            mia.headers, client, occurred_at=iso(NOW - timedelta(days=days)), **body
        )

    asked = await log(acme, 3, requires_response=True)
    reply = await log(acme, 2.9, direction="outbound", responds_to=asked["id"])
    call = await log(acme, 2, type="call", direction="outbound")
    meeting = await log(acme, 0.5, type="meeting", direction="outbound")
    only = await log(quiet, 1, type="email", direction="outbound")

    async def cadence(name: str) -> tuple[str | None, str]:
        report = await api.http.get("/api/v1/reports/contact-cadence", headers=mia.headers)
        (row,) = [r for r in report.json()["items"] if r["client_name"] == name]
        return row["last_contact_at"], row["next_contact_due_at"]

    def counted_from(days: float | None) -> tuple[str | None, str]:
        """The cadence of a 3-day client whose last contact was ``days`` before NOW (None:
        no contact, counted from NOW, when the client became known)."""
        last = None if days is None else NOW - timedelta(days=days)
        due = (last or NOW) + timedelta(days=3)
        return (None if last is None else zulu(last)), zulu(due)

    def retract(interaction: dict[str, Any], who: dict[str, str] = mia.headers) -> Any:
        return api.http.post(
            f"/api/v1/interactions/{interaction['id']}/retract",
            headers=who,
            json={"reason": "logged for the wrong client"},
        )

    assert await cadence("Acme") == counted_from(0.5)  # the meeting
    assert (await retract(meeting, olga.headers)).status_code == 404
    retracted = await retract(meeting)
    assert retracted.status_code == 200, retracted.text
    assert retracted.json()["retracted_by"] == mia.id and retracted.json()["retracted_at"]
    assert (await retract(meeting)).status_code == 409
    assert (await retract(reply)).status_code == 409
    assert await cadence("Acme") == counted_from(2)  # the call
    assert (await retract(call)).status_code == 200
    assert await cadence("Acme") == counted_from(2.9)  # the reply
    assert (await retract(only)).status_code == 200
    assert await cadence("Quiet") == counted_from(None)  # from when it became known

    assert (await retract(asked)).status_code == 200
    request = await api.request(mia.headers, asked["request_id"])
    assert request["status"] == "closed" and request["close_code"] == "retracted"
    sla = (await api.http.get("/api/v1/reports/sla", headers=mia.headers)).json()
    assert sla["requests"] == 0
    events = await api.events("interaction.retracted")
    assert [(e["interaction_id"], e["was_contact"]) for e in events] == [
        (meeting["id"], True),
        (call["id"], True),
        (only["id"], True),
        (asked["id"], False),
    ]
    assert events[3]["request_id"] == asked["request_id"]
    api.advance(days=2)
    await SCANS["meeting_report_overdue"](api.runtime.uow, api.clock.now(), 10)
    assert await api.events("meeting.report_overdue") == []


def zulu(moment: datetime) -> str:
    """An instant as the API writes it (UTC, ``Z``)."""
    return iso(moment).replace("+00:00", "Z")
