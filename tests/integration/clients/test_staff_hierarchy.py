"""Who reports to whom: a head_id names an active head, the heads form no cycle, and a head
keeps the role (and stays active) while people report to them — also under concurrent
changes, on the real PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.integration.clients.helpers import Api
from tests.support.apps import ADMIN
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration


async def patch(api: Api, staff: dict[str, Any], **body: Any) -> Any:
    return await api.http.patch(f"/api/v1/staff/{staff['id']}", headers=ADMIN, json=body)


async def test_head_id_must_name_an_active_head(api: Api) -> None:
    head = await api.staff("Hana Head", "head")
    mia = await api.staff("Mia Manager")
    ada = await api.staff("Ada Admin", "admin")
    gone = await api.staff("Gus Gone", "head")
    assert (await patch(api, gone, active=False)).status_code == 200
    for head_id in (mia["id"], ada["id"], gone["id"], "8a1c1d6e-0000-4000-8000-000000000000"):
        created = await api.http.post(
            "/api/v1/staff",
            headers=ADMIN,
            json={"name": "Tia", "email": "tia@orbit.example", "head_id": head_id},
        )
        assert field_errors(created) == {"head_id"}, head_id
        assert field_errors(await patch(api, mia, head_id=head_id)) == {"head_id"}, head_id
    response = await patch(api, mia, head_id=head["id"])
    assert response.status_code == 200 and response.json()["head_id"] == head["id"]
    names = [
        s["name"] for s in (await api.http.get("/api/v1/staff", headers=ADMIN)).json()["items"]
    ]
    assert "Tia" not in names


async def test_the_heads_form_no_cycle(api: Api) -> None:
    top = await api.staff("Tom Top", "head")
    mid = await api.staff("Meg Middle", "head", head_id=top["id"])
    low = await api.staff("Lee Low", "head", head_id=mid["id"])
    assert field_errors(await patch(api, top, head_id=top["id"])) == {"head_id"}
    assert field_errors(await patch(api, top, head_id=mid["id"])) == {"head_id"}
    response = await patch(api, top, head_id=low["id"])
    assert field_errors(response) == {"head_id"} and "cycle" in response.json()["detail"]
    # re-pointing within the tree without a cycle is fine
    assert (await patch(api, low, head_id=top["id"])).status_code == 200
    assert (await patch(api, mid, head_id=low["id"])).status_code == 200
    assert field_errors(await patch(api, low, head_id=mid["id"])) == {"head_id"}


async def test_a_head_with_reports_is_not_demoted_or_deactivated(api: Api) -> None:
    head = await api.staff("Hana Head", "head")
    other = await api.staff("Otto Other", "head")
    mia = await api.staff("Mia Manager", head_id=head["id"])
    former = await api.staff("Fay Former", head_id=head["id"])
    assert (await patch(api, former, active=False)).status_code == 200  # inactive: no report

    for body in ({"role": "manager"}, {"role": "admin"}, {"active": False}):
        response = await patch(api, head, **body)
        assert response.status_code == 409, (body, response.text)
        assert "still the head of 1 active member(s) of staff" in response.json()["detail"]
    assert (await api.http.get(f"/api/v1/staff/{head['id']}", headers=ADMIN)).json()[
        "role"
    ] == "head"

    assert (await patch(api, mia, head_id=other["id"])).status_code == 200
    response = await patch(api, head, role="manager")
    assert response.status_code == 200, response.text
    # the former report cannot come back under a head who is no longer one
    assert field_errors(await patch(api, former, active=True)) == {"head_id"}
    response = await patch(api, former, active=True, head_id=other["id"])
    assert response.status_code == 200 and response.json()["head_id"] == other["id"]
    assert (await patch(api, head, active=False)).status_code == 200  # no reports left


async def test_concurrent_changes_make_no_cycle(api: Api) -> None:
    a, b, c, d = [await api.staff(f"Head {n}", "head") for n in "ABCD"]
    assert (await patch(api, b, head_id=c["id"])).status_code == 200
    assert (await patch(api, d, head_id=a["id"])).status_code == 200
    for _ in range(3):
        # A -> B (-> C) and C -> D (-> A): either closes the cycle A B C D once both hold.
        responses = await asyncio.gather(
            patch(api, a, head_id=b["id"]), patch(api, c, head_id=d["id"])
        )
        assert sorted(r.status_code for r in responses) == [200, 422], [r.text for r in responses]
        for staff in (a, c):
            assert (await patch(api, staff, head_id=None)).status_code == 200

    # demoting a head while someone is made their report: never both
    for _ in range(3):
        responses = await asyncio.gather(
            patch(api, a, role="manager"), patch(api, b, head_id=a["id"])
        )
        codes = [r.status_code for r in responses]
        assert codes in ([200, 422], [409, 200]), [r.text for r in responses]
        assert (await patch(api, b, head_id=c["id"])).status_code == 200
        if codes[0] == 200:
            assert (await patch(api, a, role="head")).status_code == 200
