"""Policies at run time (``/api/v1/settings``): the environment's values as version 0, the
global document and a department's over it, who may write what, the history, and a change
taking effect in the client events the other services' replicas follow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest

from services.clients.settings import ClientsSettings
from services.clients.workers import announce_birthdays
from tests.integration.clients.helpers import NOW, Api
from tests.support.apps import ADMIN, ADMIN_ID, auth
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration

URL = "/api/v1/settings"
UPDATED = "orbit.clients.client.updated.v1"
CHANGED = "orbit.clients.settings.changed.v1"


async def put(api: Api, body: dict[str, Any], headers: dict[str, str] = ADMIN, **params: str):  # type: ignore[no-untyped-def]
    return await api.http.put(URL, headers=headers, json=body, params=params)


async def test_a_changed_sla_default_reaches_the_client_events(api: Api) -> None:
    """The old bug: a new tier default changed GET /clients/{id} at once, but no
    client.updated carried it, so interactions kept alerting on the old targets."""
    head = await api.staff("Hana Head", "head", department="north")
    mia = await api.staff("Mia Manager", department="north", head_id=head["id"])
    ole = await api.staff("Ole Other", department="south")
    acme = await api.client("Acme", mia["id"], tier="key")
    other = await api.client("Other", ole["id"], tier="key")
    assert acme["sla"]["first_response_minutes"] == 60

    changed = await put(
        api, {"sla_defaults": {"key": {"first_response_minutes": 30}}}, department="north"
    )
    assert changed.status_code == 200, changed.text
    got = (await api.http.get(f"/api/v1/clients/{acme['id']}", headers=ADMIN)).json()
    assert got["sla"]["first_response_minutes"] == 30
    restated = await api.events(UPDATED, key=acme["id"])
    assert [e["sla"]["first_response_minutes"] for e in restated] == [30]
    assert restated[0]["changed"] == ["sla"] and restated[0]["actor_id"] == str(ADMIN_ID)
    assert await api.events(UPDATED, key=other["id"]) == []  # another department
    assert (await api.http.get(f"/api/v1/clients/{other['id']}", headers=ADMIN)).json()["sla"][
        "first_response_minutes"
    ] == 60
    (event,) = await api.events(CHANGED)
    assert event["department"] == "north" and event["version"] == 1
    assert event["changed_fields"] == ["sla_defaults"]
    assert event["values"] == {"sla_defaults": {"key": {"first_response_minutes": 30}}}
    assert event["actor_id"] == str(ADMIN_ID)

    # A global change re-states every client; one that leaves the SLA alone, none.
    assert (await put(api, {"working_hours": {"mon": ["08:00", "17:00"]}})).status_code == 200
    assert len(await api.events(UPDATED, key=other["id"])) == 1
    north = {"sla_defaults": {"key": {"first_response_minutes": 30}}}  # PUT: the whole document
    thresholds = await put(api, {**north, "budget_thresholds": [50, 90, 100]}, department="north")
    assert thresholds.json()["values"]["budget_thresholds"] == [50, 90, 100]
    assert len(await api.events(UPDATED, key=acme["id"])) == 2


async def test_version_zero_then_global_and_department_documents(api: Api) -> None:
    start = await api.http.get(URL, headers=ADMIN)
    assert start.status_code == 200 and start.headers["etag"] == '"0"'
    body = start.json()
    assert body["version"] == 0 and body["overridden"] == []
    assert body["values"]["sla_defaults"]["standard"]["first_response_minutes"] == 240
    assert body["values"]["budget_thresholds"] == [80, 100]
    assert body["values"]["dunning_schedule"] is None  # billing's own default

    glob = await put(api, {"low_score": {"nps_max": 5}, "birthday_notice_days": 10})
    assert glob.status_code == 200 and glob.headers["etag"] == '"1"'
    dept = await put(api, {"low_score": {"csat_max": 1}}, department="north")
    assert dept.json()["version"] == 1
    north = (await api.http.get(URL, headers=ADMIN, params={"department": "north"})).json()
    assert north["values"]["low_score"] == {"nps_max": 5, "csat_max": 1}
    assert north["values"]["birthday_notice_days"] == 10
    assert north["overridden"] == ["low_score"]

    # If-Match: the version read, else 409; the same document again stores nothing.
    stale = await api.http.put(
        URL, headers={**ADMIN, "If-Match": '"0"'}, json={"birthday_notice_days": 3}
    )
    assert stale.status_code == 409
    again = await api.http.put(
        URL,
        headers={**ADMIN, "If-Match": '"1"'},
        json={"low_score": {"nps_max": 5}, "birthday_notice_days": 10},
    )
    assert again.status_code == 200 and again.json()["version"] == 1
    assert (await put(api, {"birthday_notice_days": 3})).json()["version"] == 2

    history = (await api.http.get(f"{URL}/history", headers=ADMIN)).json()["items"]
    assert [h["version"] for h in history] == [2, 1]
    assert history[0]["author_id"] == str(ADMIN_ID)
    assert history[0]["changed_fields"] == ["birthday_notice_days", "low_score"]
    assert history[0]["document"]["birthday_notice_days"] == 3


async def test_validation_names_the_field(api: Api) -> None:
    loose = await put(api, {"sla_defaults": {"key": {"first_response_minutes": 500}}})
    assert field_errors(loose) == {"sla_defaults.key.first_response_minutes"}
    assert field_errors(await put(api, {"budget_thresholds": [100, 80]})) == {"budget_thresholds"}
    assert field_errors(await put(api, {"at_risk_fraction": 1.5})) == {"at_risk_fraction"}
    assert field_errors(await put(api, {"dunning_schedule": [7, 1]})) == {"dunning_schedule"}
    late = await put(api, {"dunning_escalate_from_days": 400})
    assert field_errors(late) == {"dunning_escalate_from_days"}
    points = await put(api, {"scorecard_deviation_points": 101})
    assert field_errors(points) == {"scorecard_deviation_points"}
    reports = await put(api, {"report_schedules": {"local_time": "25:00", "periods": ["year"]}})
    assert field_errors(reports) == {"report_schedules.local_time", "report_schedules.periods.0"}
    assert field_errors(await put(api, {"nonsense": 1})) == {"nonsense"}
    bounds = await put(api, {"bounds": {"low_score": {"min": 1}}}, department="north")
    assert field_errors(bounds) == {"bounds"}
    assert field_errors(await put(api, {"bounds": {"name": {"min": 1}}})) == {"bounds"}
    north = {"sla_defaults": {"key": {"first_response_minutes": 200}}}
    assert (await put(api, north, department="north")).status_code == 200
    tighter = await put(api, {"sla_defaults": {"standard": {"first_response_minutes": 100}}})
    assert field_errors(tighter) == {"sla_defaults.key.first_response_minutes"}
    assert "in department north" in tighter.json()["detail"]


async def test_a_head_sets_their_department_within_the_bounds(api: Api) -> None:
    head = await api.staff("Hana Head", "head", department="north")
    mia = await api.staff("Mia Manager", department="north", head_id=head["id"])
    as_head, as_manager = auth(head["id"], "head"), auth(mia["id"], "manager")
    bounds = {"sla_defaults.key.first_response_minutes": {"min": 30, "max": 120}}
    assert (await put(api, {"bounds": bounds})).status_code == 200

    ok = await put(
        api, {"sla_defaults": {"key": {"first_response_minutes": 45}}}, as_head, department="north"
    )
    assert ok.status_code == 200, ok.text
    too_tight = await put(
        api, {"sla_defaults": {"key": {"first_response_minutes": 15}}}, as_head, department="north"
    )
    assert field_errors(too_tight) == {"sla_defaults.key.first_response_minutes"}
    assert (await put(api, {}, as_head, department="south")).status_code == 403
    assert (await put(api, {}, as_head)).status_code == 403
    assert (await put(api, {}, as_manager, department="north")).status_code == 403
    assert (await api.http.get(URL, headers=as_manager)).status_code == 403
    south = await api.http.get(URL, headers=as_head, params={"department": "south"})
    assert south.status_code == 403
    mine = await api.http.get(URL, headers=as_head, params={"department": "north"})
    assert mine.json()["values"]["sla_defaults"]["key"]["first_response_minutes"] == 45
    assert mine.json()["updated_by"] == head["id"]


async def test_the_birthday_notice_is_the_departments(api: Api) -> None:
    north = await api.staff("Nia North", department="north")
    south = await api.staff("Sam South", department="south")
    in_five_days = (NOW + timedelta(days=5)).strftime("1980-%m-%d")
    # Set before the birthdays exist: the service's own scheduler scans every second too.
    assert (await put(api, {"birthday_notice_days": 2}, department="north")).status_code == 200
    for manager in (north, south):
        client = await api.client(f"Client of {manager['name']}", manager["id"])
        contact = {"name": f"Contact of {manager['name']}", "birthday": in_five_days}
        created = await api.http.post(
            f"/api/v1/clients/{client['id']}/contacts", headers=ADMIN, json=contact
        )
        assert created.status_code == 201
    settings = cast(ClientsSettings, api.runtime.settings)
    await announce_birthdays(api.runtime.uow, NOW, 7, settings)  # the scheduler's may run too
    (event,) = await api.events("orbit.clients.contact.birthday_upcoming.v1")
    assert event["account_manager_id"] == south["id"] and event["days_ahead"] == 5
