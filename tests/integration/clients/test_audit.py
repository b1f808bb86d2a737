"""The audit trail of the clients service (``GET /api/v1/audit``): a row per changed field of
clients, contacts, staff and settings, with the actor and the request id, in the caller's
scope; the events name their actor too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.clients.helpers import Api
from tests.support.apps import ADMIN, ADMIN_ID, auth

pytestmark = pytest.mark.integration


async def trail(api: Api, entity: str, entity_id: str, headers: dict[str, str] = ADMIN) -> Any:
    response = await api.http.get(
        "/api/v1/audit", headers=headers, params={"entity": entity, "id": entity_id}
    )
    return response if response.status_code != 200 else response.json()["items"]


async def test_every_changed_field_has_its_row_with_the_actor(any_api: Api) -> None:
    api = any_api
    head = await api.staff("Hana Head", "head", department="north")
    mia = await api.staff("Mia Manager", department="north", head_id=head["id"])
    ole = await api.staff("Ole Other", department="south")
    acme = await api.client("Acme", mia["id"])
    as_head = auth(head["id"], "head")
    patched = await api.http.patch(
        f"/api/v1/clients/{acme['id']}",
        headers={**as_head, "X-Request-ID": "req-audit-1"},
        json={"name": "Acme Ltd", "tier": "key", "account_manager_id": head["id"]},
    )
    assert patched.status_code == 200, patched.text
    rows = await trail(api, "client", acme["id"])
    created = {r["field"]: r["new"] for r in rows if r["old"] is None}
    assert created["name"] == "Acme" and created["account_manager_id"] == mia["id"]
    changes = [(r["field"], r["old"], r["new"], r["actor_id"], r["request_id"]) for r in rows[-3:]]
    assert changes == [
        ("name", "Acme", "Acme Ltd", head["id"], "req-audit-1"),
        ("tier", "standard", "key", head["id"], "req-audit-1"),
        ("account_manager_id", mia["id"], head["id"], head["id"], "req-audit-1"),
    ]
    (updated,) = await api.events("orbit.clients.client.updated.v1", key=acme["id"])
    assert updated["actor_id"] == head["id"] and updated["changed"] == ["name", "tier"]

    contact = (
        await api.http.post(
            f"/api/v1/clients/{acme['id']}/contacts", headers=ADMIN, json={"name": "Dora"}
        )
    ).json()
    assert (
        await api.http.delete(f"/api/v1/contacts/{contact['id']}", headers=ADMIN)
    ).status_code == 204
    contact_rows = await trail(api, "contact", contact["id"])  # deleted: still readable
    assert [(r["field"], r["old"], r["new"]) for r in contact_rows if r["field"] == "name"] == [
        ("name", None, "Dora"),
        ("name", "Dora", None),
    ]

    await api.http.patch(
        f"/api/v1/staff/{ole['id']}", headers=ADMIN, json={"timezone": "Asia/Tokyo"}
    )
    staff_rows = await trail(api, "staff", ole["id"])
    assert staff_rows[-1]["field"] == "timezone" and staff_rows[-1]["actor_id"] == str(ADMIN_ID)
    await api.http.put("/api/v1/settings", headers=ADMIN, json={"birthday_notice_days": 9})
    (setting,) = await trail(api, "settings", "global")
    assert (setting["field"], setting["old"], setting["new"]) == ("birthday_notice_days", None, 9)

    # Scope: as the entity itself.
    as_ole = auth(ole["id"], "manager")
    assert (await trail(api, "client", acme["id"], as_ole)).status_code == 404
    assert (await trail(api, "contact", contact["id"], as_ole)).status_code == 404
    assert (await trail(api, "staff", mia["id"], as_ole)).status_code == 403
    assert (await trail(api, "settings", "global", as_ole)).status_code == 403
    assert len(await trail(api, "staff", mia["id"], as_head)) > 0
    assert (await trail(api, "client", "not-a-uuid")).status_code == 422
    assert (await trail(api, "settings", "north")).status_code == 422
