"""The clients lists as a UI uses them: ``?sort=`` (both ways, cursors stable under the
sort), the filters a table needs, ``?total=true``, the lists as CSV and Excel, and each sort
read through its index."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.clients.store.models import CLIENT_SORTS, CONTACT_SORTS, STAFF_SORTS
from shared.pagination import Sorts
from tests.integration.clients.helpers import NOW, Api
from tests.support.apps import ADMIN, auth
from tests.support.lists import all_items, exported, sorts_read_their_indexes

NAMES = ["Alpha", "beta", "Яблоко", "яблоко 2"]  # in the order a reader expects


async def test_clients_sort_filter_count_and_export(any_api: Api) -> None:
    north = await any_api.staff("Zoe North", department="north")
    south = await any_api.staff("Adam South", department="south")
    made = {}
    # created one hour apart, in an order that is none of the sorts asked for below
    for name, tier, manager in [
        ("яблоко 2", "small", north),
        ("beta", "key", south),
        ("Яблоко", "standard", north),
        ("Alpha", "key", north),
    ]:
        made[name] = await any_api.client(name, manager["id"], tier=tier, tags=["b", "a"])
        any_api.clock.advance(timedelta(hours=1))
    patched = await any_api.http.patch(
        f"/api/v1/clients/{made['beta']['id']}", headers=ADMIN, json={"segment": "retail"}
    )
    assert patched.status_code == 200, patched.text

    async def names(**params: str) -> list[str]:
        return [c["name"] for c in await all_items(any_api.http, "/api/v1/clients", **params)]

    assert await names(sort="name") == NAMES
    assert await names(sort="-name") == NAMES[::-1]
    assert await names() == ["яблоко 2", "beta", "Яблоко", "Alpha"]  # created_at
    assert await names(sort="-created_at") == ["Alpha", "Яблоко", "beta", "яблоко 2"]
    assert (await names(sort="-updated_at"))[0] == "beta"
    by_tier = await all_items(any_api.http, "/api/v1/clients", sort="-tier")
    assert [c["tier"] for c in by_tier] == ["standard", "small", "key", "key"]
    assert await names(sort="name", department="north") == ["Alpha", "Яблоко", "яблоко 2"]
    first = NOW.date()
    assert await names(created_from=str(first + timedelta(days=1))) == []
    assert await names(sort="name", created_to=str(first), tier="key") == ["Alpha", "beta"]

    counted = await any_api.http.get(
        "/api/v1/clients", params={"limit": 1, "total": "true"}, headers=ADMIN
    )
    assert (counted.json()["total"], counted.json()["total_capped"]) == (4, False)
    unknown = await any_api.http.get("/api/v1/clients", params={"sort": "sla"}, headers=ADMIN)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["query", "sort"]

    for format in ("csv", "xlsx"):
        rows = await exported(any_api.http, "/api/v1/clients", format, sort="-name")
        assert [r["name"] for r in rows] == NAMES[::-1]
        assert {r["tags"] for r in rows} == {"b, a"}  # the list as one text
        assert rows[0]["account_manager_id"] == north["id"]


async def test_staff_and_contacts_sort_filter_and_export(any_api: Api) -> None:
    mia = await any_api.staff("mia")
    any_api.clock.advance(timedelta(minutes=1))
    for name in ("Bob", "Émile", "alice"):
        await any_api.staff(name, department="ops")
        any_api.clock.advance(timedelta(minutes=1))
    staff = [s["name"] for s in await all_items(any_api.http, "/api/v1/staff", sort="-name")]
    assert staff == ["Émile", "mia", "Bob", "alice"] or staff == ["mia", "Émile", "Bob", "alice"]
    ops = await all_items(any_api.http, "/api/v1/staff", sort="-created_at", department="ops")
    assert [s["name"] for s in ops] == ["alice", "Émile", "Bob"]

    mine = await any_api.client("Mine", mia["id"])
    other = await any_api.client("Other", None)
    formula = "=cmd|' /C calc'!A0"
    for client, name in [(mine, "beta"), (other, "Gamma"), (mine, formula), (mine, "Alpha")]:
        body = {"name": name, "email": f"{len(name)}@{client['name'].lower()}.example"}
        response = await any_api.http.post(
            f"/api/v1/clients/{client['id']}/contacts", headers=ADMIN, json=body
        )
        assert response.status_code == 201, response.text
        any_api.clock.advance(timedelta(minutes=1))

    async def contacts(path: str, headers: dict[str, str] = ADMIN, **params: str) -> list[str]:
        return [c["name"] for c in await all_items(any_api.http, path, headers, **params)]

    def letters(names: list[str]) -> list[str]:  # where "=" sorts is the collation's choice
        return [name for name in names if name != formula]

    assert letters(await contacts("/api/v1/contacts", sort="name")) == ["Alpha", "beta", "Gamma"]
    newest = ["Alpha", formula, "Gamma", "beta"]
    assert await contacts("/api/v1/contacts", sort="-created_at") == newest
    manager = auth(mia["id"], "manager")
    mine_by_name = await contacts("/api/v1/contacts", manager, sort="-name")
    assert letters(mine_by_name) == ["beta", "Alpha"] and len(mine_by_name) == 3
    assert await contacts("/api/v1/contacts", manager, client_id=other["id"]) == []
    path = f"/api/v1/clients/{mine['id']}/contacts"
    assert await contacts(path, sort="created_at") == ["beta", formula, "Alpha"]
    assert letters(await contacts(path, sort="-name")) == ["beta", "Alpha"]
    rows = await exported(any_api.http, "/api/v1/contacts", "csv", q="cmd")
    assert [r["name"] for r in rows] == ["'" + formula]  # a spreadsheet runs nothing
    rows = await exported(any_api.http, "/api/v1/staff", "xlsx", sort="created_at")
    assert [r["name"] for r in rows] == ["mia", "Bob", "Émile", "alice"]
    counted = await any_api.http.get(
        "/api/v1/contacts", params={"total": "true", "limit": 1}, headers=manager
    )
    assert counted.json()["total"] == 3


@pytest.mark.parametrize("sorts", [CLIENT_SORTS, STAFF_SORTS, CONTACT_SORTS])
async def test_every_sort_reads_its_index(api: Api, sorts: Sorts) -> None:
    async with api.runtime.sessions() as session:
        await sorts_read_their_indexes(session, sorts)
