"""Bad input to the clients API on a real PostgreSQL database: every request body is checked
before anything reaches the database, and a refusal is a 422 naming the field, never a 500,
with nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.clients.helpers import Api, field_errors
from tests.support.apps import ADMIN

pytestmark = pytest.mark.integration

# Directories of the tz database, a cache folder, a name too long for the file system, and
# files of the tz database that are not timezones.
NOT_TIMEZONES = ["Europe", "Etc", "America/Argentina", "__pycache__", "a" * 300,
                 "localtime", "Factory", "posixrules", "posix/Europe/Berlin", "../UTC", ""]


async def test_timezones_are_iana_zone_names_everywhere(api: Api) -> None:
    mia = await api.staff("Mia Manager")
    acme = await api.client("Acme", mia["id"])
    for name in NOT_TIMEZONES:
        attempts: list[tuple[str, str, dict[str, Any], str]] = [
            ("post", "/api/v1/staff", {"name": "Tia", "email": "tia@orbit.example",
                                       "timezone": name}, "timezone"),
            ("patch", f"/api/v1/staff/{mia['id']}", {"timezone": name}, "timezone"),
            ("post", "/api/v1/clients", {"name": "Zed", "timezone": name}, "timezone"),
            ("patch", f"/api/v1/clients/{acme['id']}", {"timezone": name}, "timezone"),
            ("post", "/api/v1/clients", {"name": "Zed", "sla": {"calendar": {"timezone": name}}},
             "sla.calendar.timezone"),
            ("patch", f"/api/v1/clients/{acme['id']}",
             {"sla": {"calendar": {"timezone": name}}}, "sla.calendar.timezone"),
        ]
        for method, url, body, field in attempts:
            response = await api.http.request(method, url, headers=ADMIN, json=body)
            assert field_errors(response) == {field}, (name, url, response.text)

    for name in ("Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT-14"):
        response = await api.http.patch(f"/api/v1/clients/{acme['id']}", headers=ADMIN,
                                        json={"timezone": name,
                                              "sla": {"calendar": {"timezone": name}}})
        assert response.status_code == 200, response.text
        assert response.json()["sla"]["calendar"]["timezone"] == name
    # nothing of the refused requests was written
    staff = (await api.http.get("/api/v1/staff", headers=ADMIN)).json()["items"]
    assert [s["name"] for s in staff] == ["Mia Manager"] and staff[0]["timezone"] == "UTC"
    assert [c["name"] for c in (await api.http.get("/api/v1/clients",
                                                   headers=ADMIN)).json()["items"]] == ["Acme"]
