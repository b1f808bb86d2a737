"""The reports on PostgreSQL: SLA compliance with median and p90 first-response minutes,
contact cadence, feedback (NPS, CSAT) and activity, in the caller's scope, and each one as
CSV and Excel."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from pydantic_core import to_json

from services.interactions.api.schemas import CadenceReportOut
from services.interactions.store import reports
from shared.auth import Caller, Role
from tests.integration.interactions.helpers import ADMIN, NOW, Api, iso
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration


@pytest.fixture
def api(any_api: Api) -> Api:
    """Each test here runs on SQLite (the embedded mode) and on PostgreSQL."""
    return any_api


async def answered_after(api: Api, who: dict[str, str], client: object, minutes: int) -> None:
    inbound = await api.log(
        who,
        client,
        requires_response=True,  # type: ignore[arg-type]
        occurred_at=iso(NOW),
    )
    await api.log(
        who,
        client,
        direction="outbound",  # type: ignore[arg-type]
        responds_to=inbound["id"],
        occurred_at=iso(NOW + timedelta(minutes=minutes)),
    )


async def test_sla_report(api: Api) -> None:
    mia = await api.staff("Mia", "manager", "north")
    bob = await api.staff("Bob", "manager", "south")
    acme = await api.client("Acme", mia, first_response_minutes=60)
    globex = await api.client("Globex", bob, first_response_minutes=60)
    api.advance(hours=3)
    for minutes in (10, 20, 30, 40, 90):  # 90: late
        await answered_after(api, mia.headers, acme, minutes)
    await api.log(
        mia.headers, acme, requires_response=True, occurred_at=iso(NOW)
    )  # unanswered, due at NOW + 60: breached
    await api.log(mia.headers, acme, requires_response=True)  # opened now: open
    await answered_after(api, bob.headers, globex, 5)

    mine = (await api.http.get("/api/v1/reports/sla", headers=mia.headers)).json()
    assert {
        k: mine[k]
        for k in ("requests", "answered", "answered_on_time", "breached", "open", "compliance_pct")
    } == {
        "requests": 7,
        "answered": 5,
        "answered_on_time": 4,
        "breached": 2,
        "open": 1,
        "compliance_pct": 66.7,
    }
    assert mine["first_response_minutes"] == {"median": 30.0, "p90": 90.0}
    assert [m["name"] for m in mine["managers"]] == ["Mia"]

    everyone = (await api.http.get("/api/v1/reports/sla", headers=ADMIN)).json()
    assert everyone["requests"] == 8
    assert [(m["name"], m["requests"]) for m in everyone["managers"]] == [("Bob", 1), ("Mia", 7)]
    only_bob = (
        await api.http.get(
            "/api/v1/reports/sla", headers=ADMIN, params={"account_manager_id": bob.id}
        )
    ).json()
    assert only_bob["requests"] == 1 and only_bob["first_response_minutes"]["median"] == 5.0
    later = (
        await api.http.get(
            "/api/v1/reports/sla", headers=ADMIN, params={"from": iso(NOW + timedelta(hours=1))}
        )
    ).json()
    assert later["requests"] == 1 and later["from"] == "2026-11-23T10:00:00Z"
    by_day = (
        await api.http.get(
            "/api/v1/reports/sla", headers=ADMIN, params={"from": "2026-11-23", "to": "2026-11-23"}
        )
    ).json()
    assert by_day["requests"] == 8

    exported = await api.http.get("/api/v1/reports/sla", headers=ADMIN, params={"format": "csv"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="sla.csv"' in exported.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(row["name"], row["requests"]) for row in lines] == [
        ("Bob", "1"),
        ("Mia", "7"),
        ("(all)", "8"),
    ]
    assert lines[-1]["first_response_minutes_p90"] == "90.0"

    workbook = await api.http.get(
        "/api/v1/reports/sla",
        headers={
            **ADMIN,
            "Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert workbook.status_code == 200
    assert 'filename="sla.xlsx"' in workbook.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(workbook.content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        strings = (
            archive.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in archive.namelist()
            else ""
        )
    assert "Mia" in sheet + strings and "(all)" in sheet + strings

    bad = await api.http.get("/api/v1/reports/sla", headers=ADMIN, params={"format": "pdf"})
    assert field_errors(bad) == {"format"}
    assert (
        await api.http.get("/api/v1/reports/sla", headers=ADMIN, params={"from": "yesterday"})
    ).status_code == 422


async def test_contact_cadence_report(api: Api) -> None:
    mia = await api.staff("Mia")
    bob = await api.staff("Bob")
    acme = await api.client("Acme", mia, cadence_days=3)
    quiet = await api.client("Quiet", mia, cadence_days=7)
    await api.client("Bob's", bob, cadence_days=3)
    api.advance(days=1)
    await api.log(mia.headers, acme, type="call", direction="outbound")
    api.advance(days=9)
    report = (await api.http.get("/api/v1/reports/contact-cadence", headers=mia.headers)).json()
    rows = {r["client_name"]: r for r in report["items"]}
    assert set(rows) == {"Acme", "Quiet"}
    assert rows["Acme"]["last_contact_at"] == "2026-11-24T09:00:00Z"
    assert rows["Acme"]["days_overdue"] == 6 and rows["Quiet"]["days_overdue"] == 3
    assert rows["Quiet"]["last_contact_at"] is None
    assert [r["client_id"] for r in report["items"]] == [acme.id, quiet.id]  # most overdue first
    # written from the rows unvalidated: exactly what CadenceReportOut would write
    assert CadenceReportOut.model_validate(report).model_dump(mode="json") == report
    exported = await api.http.get(
        "/api/v1/reports/contact-cadence", headers=mia.headers, params={"format": "csv"}
    )
    assert len(list(csv.DictReader(io.StringIO(exported.text)))) == 2
    everyone = await api.http.get(
        "/api/v1/reports/contact-cadence", headers=ADMIN, params={"overdue": "true"}
    )
    assert len(everyone.json()["items"]) == 3


async def test_feedback_and_activity_reports(api: Api) -> None:
    mia = await api.staff("Mia")
    acme = await api.client("Acme", mia)
    for kind, score in (
        ("nps", 10),
        ("nps", 9),
        ("nps", 8),
        ("nps", 3),
        ("csat", 4),
        ("csat", 5),
        ("csat", 1),
    ):
        response = await api.http.post(
            "/api/v1/feedback",
            headers=mia.headers,
            json={"client_id": acme.id, "kind": kind, "score": score},
        )
        assert response.status_code == 201
    report = (await api.http.get("/api/v1/reports/feedback", headers=mia.headers)).json()
    assert {
        k: report[k]
        for k in ("responses", "promoters", "passives", "detractors", "nps", "csat_avg", "low")
    } == {
        "responses": 7,
        "promoters": 2,
        "passives": 1,
        "detractors": 1,
        "nps": 25.0,
        "csat_avg": 3.33,
        "low": 2,
    }
    other = await api.staff("Other")
    assert (await api.http.get("/api/v1/reports/feedback", headers=other.headers)).json()[
        "responses"
    ] == 0

    on_time, also_on_time = [
        await api.log(
            mia.headers,
            acme,
            type="meeting",
            direction="outbound",
            occurred_at=iso(NOW - timedelta(hours=hours)),
        )
        for hours in (2, 1)
    ]
    await api.log(
        mia.headers,
        acme,
        type="meeting",
        direction="outbound",
        occurred_at=iso(NOW - timedelta(days=3)),
    )  # report missing
    late = await api.log(
        mia.headers,
        acme,
        type="meeting",
        direction="outbound",
        occurred_at=iso(NOW - timedelta(days=4)),
    )  # its report past the deadline
    await api.log(mia.headers, acme, type="meeting", direction="outbound")  # report pending
    await api.log(mia.headers, acme, type="call", direction="outbound")
    await api.log(mia.headers, acme, type="note", direction="internal")
    for meeting in (on_time, also_on_time):
        assert (
            await api.http.post(
                f"/api/v1/interactions/{meeting['id']}/report",
                headers=mia.headers,
                json={"summary": "ok"},
            )
        ).status_code == 201
    assert (
        await api.http.post(
            f"/api/v1/interactions/{late['id']}/report",
            headers=mia.headers,
            json={"summary": "late"},
        )
    ).status_code == 201
    activity = (await api.http.get("/api/v1/reports/activity", headers=mia.headers)).json()
    [row] = activity["items"]
    assert row["name"] == "Mia" and row["interactions"] == 7
    assert row["by_type"] == {"call": 1, "email": 0, "meeting": 5, "message": 0, "note": 1}
    assert (
        row["meetings"],
        row["reports_on_time"],
        row["reports_late"],
        row["reports_missing"],
        row["reports_pending"],
    ) == (5, 2, 1, 1, 1)
    assert row["reports_on_time_pct"] == 50.0  # 2 of the 4 past their deadline
    exported = await api.http.get(
        "/api/v1/reports/activity", headers=mia.headers, params={"format": "xlsx"}
    )
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    feedback_csv = await api.http.get(
        "/api/v1/reports/feedback", headers={**mia.headers, "Accept": "text/csv"}
    )
    assert feedback_csv.text.splitlines()[0].startswith("account_manager_id,name,responses")


async def test_sla_report_counts_per_manager_in_the_heads_scope(api: Api) -> None:
    """The counts grouped per account manager add up: a head sees their team's and their own
    clients' requests (another department's left out), closed and retracted ones apart."""
    hana = await api.staff("Hana", "head", "north")
    mia = await api.staff("Mia", "manager", "north")
    max_ = await api.staff("Max", "manager", "north")
    bob = await api.staff("Bob", "manager", "south")
    acme = await api.client("Acme", mia, first_response_minutes=60)
    initech = await api.client("Initech", max_, first_response_minutes=60)
    hooli = await api.client("Hooli", hana, first_response_minutes=60)
    globex = await api.client("Globex", bob, first_response_minutes=60)
    api.advance(hours=3)
    for minutes in (10, 90):  # 90: late
        await answered_after(api, mia.headers, acme, minutes)
    await api.log(mia.headers, acme, requires_response=True, occurred_at=iso(NOW))  # breached
    await answered_after(api, max_.headers, initech, 20)
    spam = await api.log(max_.headers, initech, requires_response=True)
    closed = await api.http.post(
        f"/api/v1/requests/{spam['request_id']}/close",
        headers=max_.headers,
        json={"reason": "an advertisement", "code": "spam"},
    )
    assert closed.status_code == 200, closed.text
    wrong = await api.log(max_.headers, initech, requires_response=True)
    retracted = await api.http.post(
        f"/api/v1/interactions/{wrong['id']}/retract",
        headers=max_.headers,
        json={"reason": "logged for the wrong client"},
    )
    assert retracted.status_code == 200, retracted.text
    await api.log(hana.headers, hooli, requires_response=True)  # opened now: open
    await answered_after(api, bob.headers, globex, 5)
    theirs = await api.log(bob.headers, globex, requires_response=True)
    assert (
        await api.http.post(
            f"/api/v1/requests/{theirs['request_id']}/close",
            headers=bob.headers,
            json={"reason": "an advertisement", "code": "spam"},
        )
    ).status_code == 200

    def figures(report: dict[str, Any]) -> dict[str, Any]:
        keys = ("requests", "answered", "answered_on_time", "breached", "open")
        return {k: report[k] for k in keys}

    head = (await api.http.get("/api/v1/reports/sla", headers=hana.headers)).json()
    assert figures(head) == {
        "requests": 5,
        "answered": 3,
        "answered_on_time": 2,
        "breached": 2,
        "open": 1,
    }
    assert head["compliance_pct"] == 50.0
    assert head["first_response_minutes"] == {"median": 20.0, "p90": 90.0}
    assert head["closed"] == {"retracted": 1, "spam": 1}
    assert head["missed_calls"] == 0
    assert head["callback_minutes"] == {"median": None, "p90": None}
    managers = {m["name"]: m for m in head["managers"]}
    assert [m["name"] for m in head["managers"]] == ["Hana", "Max", "Mia"]
    assert figures(managers["Mia"]) == {
        "requests": 3,
        "answered": 2,
        "answered_on_time": 1,
        "breached": 2,
        "open": 0,
    }
    assert managers["Mia"]["first_response_minutes"] == {"median": 50.0, "p90": 90.0}
    assert managers["Mia"]["compliance_pct"] == 33.3
    assert figures(managers["Max"]) == {
        "requests": 1,
        "answered": 1,
        "answered_on_time": 1,
        "breached": 0,
        "open": 0,
    }
    assert figures(managers["Hana"])["open"] == 1
    assert managers["Hana"]["compliance_pct"] is None

    only_max = (
        await api.http.get(
            "/api/v1/reports/sla", headers=hana.headers, params={"account_manager_id": max_.id}
        )
    ).json()
    assert only_max["requests"] == 1 and only_max["closed"] == {"retracted": 1, "spam": 1}
    assert only_max["first_response_minutes"] == {"median": 20.0, "p90": 20.0}
    not_theirs = (
        await api.http.get(
            "/api/v1/reports/sla", headers=hana.headers, params={"account_manager_id": bob.id}
        )
    ).json()
    assert not_theirs["requests"] == 0 and not_theirs["closed"] == {}
    assert not_theirs["managers"] == []

    everyone = (await api.http.get("/api/v1/reports/sla", headers=ADMIN)).json()
    assert everyone["requests"] == 6 and everyone["closed"] == {"retracted": 1, "spam": 2}
    assert [m["name"] for m in everyone["managers"]] == ["Bob", "Hana", "Max", "Mia"]
    assert everyone["first_response_minutes"] == {"median": 15.0, "p90": 90.0}


async def test_the_databases_contact_cadence_json_is_the_rows_made_in_python(api: Api) -> None:
    """PostgreSQL writes the contact cadence's JSON itself (a head's report is thousands of
    rows); it is what the rows made in Python write, for every scope, all clients or the
    overdue ones: instants with and without microseconds, a client never contacted, one with no
    manager, days overdue on and off a day's boundary. SQLite has no such way (None)."""
    head = await api.staff("Hana", "head", "north")
    mia = await api.staff("Mia", "manager", "north", head_id=head.id)
    bob = await api.staff("Bob", "manager", "south")
    acme = await api.client("Acme", mia, cadence_days=3)
    await api.client("Quiet", mia, cadence_days=7)
    bobs = await api.client("Bob's", bob, cadence_days=1)
    await api.client("Orphan", None, cadence_days=2)
    api.advance(days=1)
    contacted = NOW + timedelta(hours=5, microseconds=120_000)
    await api.log(mia.headers, acme, type="call", direction="outbound", occurred_at=iso(contacted))
    await api.log(bob.headers, bobs, type="call", direction="outbound")
    api.advance(days=3, hours=5)  # Acme due 3 days after its contact: a day late less 0.12 s
    callers = [
        Caller(uuid.UUID(mia.id), Role.MANAGER),
        Caller(uuid.UUID(head.id), Role.HEAD, "north"),
        Caller(uuid.uuid4(), Role.ADMIN),
    ]
    now = api.clock.now()
    postgresql = api.runtime.engine.dialect.name == "postgresql"
    for caller in callers:
        for manager in (None, uuid.UUID(mia.id)):
            for overdue in (False, True):
                scope = {"account_manager_id": manager, "overdue_only": overdue}
                async with api.runtime.sessions() as session:
                    written = await reports.contact_cadence_json(session, caller, now, **scope)
                    made = await reports.contact_cadence_report(session, caller, now, **scope)
                if not postgresql:
                    assert written is None
                    continue
                assert written is not None
                assert json.loads(written) == json.loads(to_json(made)), (caller, manager, overdue)
    async with api.runtime.sessions() as session:
        everyone = await reports.contact_cadence_json(
            session, callers[2], now, account_manager_id=None, overdue_only=False
        )
    if postgresql:
        rows = {r["client_name"]: r for r in json.loads(everyone or "")}
        assert rows["Acme"]["last_contact_at"] == iso(contacted).replace("+00:00", "Z")
        assert (rows["Acme"]["overdue"], rows["Acme"]["days_overdue"]) == (True, 0)
        assert rows["Orphan"]["account_manager_name"] is None
        assert rows["Quiet"]["last_contact_at"] is None and rows["Quiet"]["days_overdue"] == 0
