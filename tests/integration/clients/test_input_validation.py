"""Bad input to the clients API on a real PostgreSQL database: every request body is checked
before anything reaches the database, and a refusal is a 422 naming the field, never a 500,
with nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.clients.helpers import Api
from tests.support.apps import ADMIN
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration

# Directories of the tz database, a cache folder, a name too long for the file system, and
# files of the tz database that are not timezones.
NOT_TIMEZONES = [
    "Europe",
    "Etc",
    "America/Argentina",
    "__pycache__",
    "a" * 300,
    "localtime",
    "Factory",
    "posixrules",
    "posix/Europe/Berlin",
    "../UTC",
    "",
]


async def test_timezones_are_iana_zone_names_everywhere(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"])
    for name in NOT_TIMEZONES:
        attempts: list[tuple[str, str, dict[str, Any], str]] = [
            (
                "post",
                "/api/v1/staff",
                {"name": "Tia", "email": "tia@orbit.example", "timezone": name},
                "timezone",
            ),
            ("patch", f"/api/v1/staff/{mia['id']}", {"timezone": name}, "timezone"),
            ("post", "/api/v1/clients", {"name": "Zed", "timezone": name}, "timezone"),
            ("patch", f"/api/v1/clients/{acme['id']}", {"timezone": name}, "timezone"),
            (
                "post",
                "/api/v1/clients",
                {"name": "Zed", "sla": {"calendar": {"timezone": name}}},
                "sla.calendar.timezone",
            ),
            (
                "patch",
                f"/api/v1/clients/{acme['id']}",
                {"sla": {"calendar": {"timezone": name}}},
                "sla.calendar.timezone",
            ),
        ]
        for method, url, body, field in attempts:
            response = await api.http.request(method, url, headers=ADMIN, json=body)
            assert field_errors(response) == {field}, (name, url, response.text)

    for name in ("Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT-14"):
        response = await api.http.patch(
            f"/api/v1/clients/{acme['id']}",
            headers=ADMIN,
            json={"timezone": name, "sla": {"calendar": {"timezone": name}}},
        )
        assert response.status_code == 200, response.text
        assert response.json()["sla"]["calendar"]["timezone"] == name
    # nothing of the refused requests was written
    staff = (await api.http.get("/api/v1/staff", headers=ADMIN)).json()["items"]
    assert [s["name"] for s in staff] == ["Mia Manager"] and staff[0]["timezone"] == "UTC"
    assert [
        c["name"] for c in (await api.http.get("/api/v1/clients", headers=ADMIN)).json()["items"]
    ] == ["Acme"]


CONTROL = ["\u0000", "\u0001", "\u001b", "\u007f"]


async def test_control_characters_are_refused_in_any_string_of_a_body(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"], country="DE")
    contact = (
        await api.http.post(
            f"/api/v1/clients/{acme['id']}/contacts", headers=ADMIN, json={"name": "Dora"}
        )
    ).json()
    outbox_before = len(await api.events_all())

    response = await api.http.post("/api/v1/clients", headers=ADMIN, json={"name": "a\u0000b"})
    assert field_errors(response) == {"name"}
    assert "U+0000" in response.json()["errors"][0]["msg"]
    for char in CONTROL:
        attempts: list[tuple[str, str, dict[str, Any], set[str]]] = [
            ("post", "/api/v1/clients", {"name": f"Zed{char}"}, {"name"}),
            ("post", "/api/v1/clients", {"name": "Zed", "tags": ["ok", f"v{char}ip"]}, {"tags.1"}),
            (
                "post",
                "/api/v1/clients",
                {
                    "name": "Zed",
                    "sla": {"calendar": {"working_hours": {"mon": ["09:00", f"18:00{char}"]}}},
                },
                {"sla.calendar.working_hours.mon.1"},
            ),
            ("patch", f"/api/v1/clients/{acme['id']}", {"segment": f"re{char}tail"}, {"segment"}),
            (
                "patch",
                f"/api/v1/clients/{acme['id']}",
                {"status": "active", "status_reason": f"x{char}"},
                {"status_reason"},
            ),
            (
                "post",
                "/api/v1/staff",
                {"name": f"T{char}ia", "email": "tia@orbit.example"},
                {"name"},
            ),
            ("patch", f"/api/v1/staff/{mia['id']}", {"department": f"n{char}"}, {"department"}),
            (
                "post",
                f"/api/v1/clients/{acme['id']}/contacts",
                {"name": "Ben", "position": f"C{char}EO"},
                {"position"},
            ),
            ("patch", f"/api/v1/contacts/{contact['id']}", {"name": f"D{char}"}, {"name"}),
            (
                "post",
                f"/api/v1/clients/{acme['id']}/assign",
                {"account_manager_id": mia["id"], "reason": f"r{char}"},
                {"reason"},
            ),
        ]
        for method, url, body, fields in attempts:
            response = await api.http.request(method, url, headers=ADMIN, json=body)
            assert field_errors(response) == fields, (repr(char), url, response.text)
    # tab, line feed and carriage return are text
    response = await api.http.patch(
        f"/api/v1/clients/{acme['id']}", headers=ADMIN, json={"segment": "a\tb\r\nc"}
    )
    assert response.status_code == 200 and response.json()["segment"] == "a\tb\r\nc"

    # nothing was written by the refused requests (the one PATCH above: one event)
    assert len(await api.events_all()) == outbox_before + 1
    clients = (await api.http.get("/api/v1/clients", headers=ADMIN)).json()["items"]
    assert [c["name"] for c in clients] == ["Acme"]
    staff = (await api.http.get("/api/v1/staff", headers=ADMIN)).json()["items"]
    assert [(s["name"], s["department"]) for s in staff] == [("Mia Manager", None)]


async def test_lone_surrogates_in_a_raw_body_are_422_on_both_databases(any_api: Api) -> None:
    api = any_api
    acme = await api.client("Acme", None)
    json_headers = {**ADMIN, "content-type": "application/json"}
    attempts = [  # JSON text as sent: "\ud83d" is half of a pair, which no UTF-8 encodes
        ("post", "/api/v1/clients", rb'{"name": "x", "tags": ["\ud83d"]}', {"tags.0"}),
        ("post", "/api/v1/clients", rb'{"name": "a\udfffb"}', {"name"}),
        ("patch", f"/api/v1/clients/{acme['id']}", rb'{"segment": "\ud800"}', {"segment"}),
        (
            "post",
            "/api/v1/staff",
            rb'{"name": "T", "email": "t@orbit.example", '
            rb'"department": "\udbff"}',
            {"department"},
        ),
    ]
    for method, url, body, fields in attempts:
        response = await api.http.request(method, url, headers=json_headers, content=body)
        assert field_errors(response) == fields, (body, response.text)
        assert "unpaired surrogate" in response.json()["errors"][0]["msg"]
    # a whole pair is one character, stored and given back
    created = await api.http.post(
        "/api/v1/clients", headers=json_headers, content=rb'{"name": "x", "tags": ["\ud83d\ude00"]}'
    )
    assert created.status_code == 201, created.text
    assert created.json()["tags"] == ["\U0001f600"]
    names = [
        c["name"] for c in (await api.http.get("/api/v1/clients", headers=ADMIN)).json()["items"]
    ]
    assert sorted(names) == ["Acme", "x"]


async def test_control_characters_in_query_parameters_are_422(api: Api) -> None:
    for url in (
        "/api/v1/clients?q=a%00b",
        "/api/v1/clients?tag=%00",
        "/api/v1/staff?q=%00",
        "/api/v1/staff?department=x%00",
    ):
        response = await api.http.get(url, headers=ADMIN)
        assert response.status_code == 422, (url, response.text)


async def test_sla_targets_refuse_booleans_and_locales_are_language_tags(api: Api) -> None:
    mia = await api.staff("Mia Manager", locale="de-DE")
    acme = await api.client("Acme", mia["id"])
    for value in (True, "30", 30.5):
        for field in ("first_response_minutes", "contact_cadence_days", "meeting_report_hours"):
            created = await api.http.post(
                "/api/v1/clients", headers=ADMIN, json={"name": "Zed", "sla": {field: value}}
            )
            assert field_errors(created) == {f"sla.{field}"}
            patched = await api.http.patch(
                f"/api/v1/clients/{acme['id']}", headers=ADMIN, json={"sla": {field: value}}
            )
            assert field_errors(patched) == {f"sla.{field}"}
    acme_now = (await api.http.get(f"/api/v1/clients/{acme['id']}", headers=ADMIN)).json()
    assert acme_now["sla_overrides"] == {} and acme_now["sla"] == acme["sla"]

    assert field_errors(
        await api.http.post(
            "/api/v1/staff",
            headers=ADMIN,
            json={"name": "Tia", "email": "tia@orbit.example", "locale": "zz-garbage-@@"},
        )
    ) == {"locale"}
    assert field_errors(
        await api.http.patch(
            f"/api/v1/staff/{mia['id']}", headers=ADMIN, json={"locale": "zz-garbage-@@"}
        )
    ) == {"locale"}
    response = await api.http.patch(
        f"/api/v1/staff/{mia['id']}", headers=ADMIN, json={"locale": "zh-Hant-TW"}
    )
    assert response.status_code == 200 and response.json()["locale"] == "zh-Hant-TW"
