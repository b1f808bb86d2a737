"""The billing lists as a UI uses them: ``?sort=`` (ascending, descending, cursors stable
under the sort, an unknown field a 422), the date filters, ``?total=true`` and the lists as
CSV and Excel."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import openpyxl
import pytest

from services.billing.store.models import (
    CONTRACT_SORTS,
    ESTIMATE_SORTS,
    INVOICE_SORTS,
    OPPORTUNITY_SORTS,
    PAYMENT_SORTS,
)
from shared.pagination import Sorts
from shared.replica_store import put_client
from tests.integration.billing.helpers import NOW, Api
from tests.support.apps import ADMIN, auth
from tests.support.lists import all_items, sorts_read_their_indexes


async def _all(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    return await all_items(api.http, path, **params)


def _line(price: str) -> list[dict[str, str]]:
    return [{"description": "Work", "quantity": "1", "unit_price": price, "tax_rate": "0"}]


async def test_invoices_sort_filter_count_and_export(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    today = NOW.date()
    made = []
    for price, due in [("900", 30), ("85.50", 10), ("1000", 20), ("7", 40)]:
        issue = {"issue_date": str(today), "due_date": str(today + timedelta(days=due))}
        made.append(await any_api.invoice(client, _line(price), issue=issue))
    draft = await any_api.invoice(client, _line("50"))
    by_total = await _all(any_api, "/api/v1/invoices", sort="-total")
    assert [i["total"] for i in by_total] == ["1000.00", "900.00", "85.50", "50.00", "7.00"]
    by_due = await _all(any_api, "/api/v1/invoices", sort="due_date")
    assert [i["id"] for i in by_due] == [
        made[1]["id"],
        made[2]["id"],
        made[0]["id"],
        made[3]["id"],
        draft["id"],
    ]
    by_number = await _all(any_api, "/api/v1/invoices", sort="-number")
    assert [i["number"] for i in by_number][:4] == sorted((m["number"] for m in made), reverse=True)

    window = {
        "due_from": str(today + timedelta(days=15)),
        "due_to": str(today + timedelta(days=30)),
    }
    ranged = await _all(any_api, "/api/v1/invoices", sort="due_date", **window)
    assert [i["id"] for i in ranged] == [made[2]["id"], made[0]["id"]]
    one = await _all(any_api, "/api/v1/invoices", number=made[3]["number"])
    assert [i["id"] for i in one] == [made[3]["id"]]

    counted = (
        await any_api.http.get(
            "/api/v1/invoices", params={"limit": 1, "total": "true"}, headers=ADMIN
        )
    ).json()
    assert (len(counted["items"]), counted["total"], counted["total_capped"]) == (1, 5, False)
    plain = (await any_api.http.get("/api/v1/invoices", params={"limit": 1}, headers=ADMIN)).json()
    assert plain["total"] is None

    unknown = await any_api.http.get("/api/v1/invoices", params={"sort": "secret"}, headers=ADMIN)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == ["query", "sort"]
    first = (
        await any_api.http.get(
            "/api/v1/invoices", params={"sort": "total", "limit": 1}, headers=ADMIN
        )
    ).json()
    crossed = await any_api.http.get(
        "/api/v1/invoices",
        params={"sort": "due_date", "cursor": first["next_cursor"]},
        headers=ADMIN,
    )
    assert crossed.status_code == 422

    exported = await any_api.http.get(
        "/api/v1/invoices", params={"sort": "-total", "format": "csv"}, headers=ADMIN
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["total"] for r in rows] == ["1000.00", "900.00", "85.50", "50.00", "7.00"]
    workbook = await any_api.http.get(
        "/api/v1/invoices", params={"sort": "total", "format": "xlsx"}, headers=ADMIN
    )
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    header = [c.value for c in next(sheet.iter_rows())]
    totals = [row[header.index("total")].value for row in list(sheet.iter_rows())[1:]]
    assert totals == [7, 50, 85.5, 900, 1000]


async def test_contracts_payments_opportunities_and_estimates_sort_and_filter(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    today = NOW.date()
    ends = {}
    for title, days in [("beta", 200), ("Alpha", 100), ("Яблоко", 300), ("яблоко 2", 50)]:
        body = {
            "client_id": client,
            "number": title,
            "title": title,
            "starts_on": str(today - timedelta(days=400)),
            "ends_on": str(today + timedelta(days=days)),
        }
        ends[title] = (await any_api.post("/api/v1/contracts", body, expect=201))["id"]
    titles = [c["title"] for c in await _all(any_api, "/api/v1/contracts", sort="title")]
    assert titles == ["Alpha", "beta", "Яблоко", "яблоко 2"]  # case-insensitively
    ending = await _all(
        any_api, "/api/v1/contracts", sort="-ends_on", ends_before=str(today + timedelta(days=150))
    )
    assert [c["title"] for c in ending] == ["Alpha", "яблоко 2"]

    for amount, days in [("10.00", 3), ("1000.00", 1), ("200.50", 2)]:
        body = {
            "client_id": client,
            "amount": amount,
            "currency": "EUR",
            "received_at": (NOW - timedelta(days=days)).isoformat(),
        }
        await any_api.post("/api/v1/payments", body, expect=201)
    amounts = [p["amount"] for p in await _all(any_api, "/api/v1/payments", sort="-amount")]
    assert amounts == ["1000.00", "200.50", "10.00"]
    recent = await _all(
        any_api,
        "/api/v1/payments",
        sort="received_at",
        received_from=str(today - timedelta(days=2)),
        received_to=str(today),
    )
    assert [p["amount"] for p in recent] == ["200.50", "1000.00"]

    for title, value, close in [("A", "500", 20), ("B", None, None), ("C", "90", 10)]:
        body: dict[str, Any] = {"client_id": client, "title": title}
        if value:
            body |= {"value": {"amount": value, "currency": "EUR"}}
        if close:
            body["expected_close"] = str(today + timedelta(days=close))
        await any_api.post("/api/v1/opportunities", body, expect=201)
    by_value = [o["title"] for o in await _all(any_api, "/api/v1/opportunities", sort="-value")]
    assert by_value == ["A", "C", "B"]
    closing = await _all(
        any_api,
        "/api/v1/opportunities",
        sort="expected_close",
        close_to=str(today + timedelta(days=15)),
    )
    assert [o["title"] for o in closing] == ["C"]
    by_close = [
        o["title"] for o in await _all(any_api, "/api/v1/opportunities", sort="expected_close")
    ]
    assert by_close == ["C", "A", "B"]  # without an expected close: last

    for price in ("30", "5", "400"):
        body = {
            "client_id": client,
            "title": f"E{price}",
            "currency": "EUR",
            "lines": _line(price),
        }
        await any_api.post("/api/v1/estimates", body, expect=201)
    by_total = [e["total"] for e in await _all(any_api, "/api/v1/estimates", sort="-total")]
    assert by_total == ["400.00", "30.00", "5.00"]
    exported = await any_api.http.get(
        "/api/v1/payments", params={"format": "csv", "sort": "amount"}, headers=ADMIN
    )
    assert [r["amount"] for r in csv.DictReader(io.StringIO(exported.text))] == [
        "10.00",
        "200.50",
        "1000.00",
    ]


@pytest.mark.parametrize(
    "sorts", [INVOICE_SORTS, CONTRACT_SORTS, PAYMENT_SORTS, ESTIMATE_SORTS, OPPORTUNITY_SORTS]
)
async def test_every_sort_reads_its_index(api: Api, sorts: Sorts) -> None:
    """PostgreSQL orders each sort (both ways) by its (key, id) index: with sorting and
    sequential scans priced out, the plan names the index (a key that did not match its
    index's expression would need a Sort)."""
    async with api.runtime.sessions() as session:
        await sorts_read_their_indexes(session, sorts)


async def test_a_reassigned_clients_invoices_move_to_the_new_managers_list(any_api: Api) -> None:
    """Invoices keep their client's manager (a manager's list reads theirs from one index):
    drafted under one manager, they follow the client to the next one as soon as the replica
    is written (by an event or a read-through: ``put_client``), in the list, every sort and
    the lookup, and leave the previous manager's."""
    mia, sam = await any_api.staff("Mia"), await any_api.staff("Sam")
    mia_h, sam_h = auth(mia, "manager"), auth(sam, "manager")
    acme, kept = await any_api.client("Acme", mia), await any_api.client("Kept", mia)
    moved = await any_api.invoice(acme, headers=mia_h)
    any_api.clock.advance(timedelta(minutes=1))
    stays = await any_api.invoice(kept, headers=mia_h)

    async def ids(headers: dict[str, str], **params: Any) -> list[str]:
        return [
            i["id"] for i in await all_items(any_api.http, "/api/v1/invoices", headers, **params)
        ]

    assert await ids(mia_h) == [moved["id"], stays["id"]] and await ids(sam_h) == []
    acme_now = {
        "client_id": acme,
        "name": "Acme",
        "tier": "standard",
        "status": "active",
        "account_manager_id": sam,
        "account_manager_department": None,
        "head_id": None,
        "timezone": "UTC",
        "country": None,
        "sla": {},
    }
    async with any_api.runtime.sessions() as session:
        await put_client(session, acme_now, any_api.clock.now())
        await session.commit()

    for sort in (None, "-total", "number", "due_date", "status", "-issue_date"):
        params = {"sort": sort} if sort else {}
        assert await ids(sam_h, **params) == [moved["id"]], sort
        assert await ids(mia_h, **params) == [stays["id"]], sort
    assert (await any_api.http.get(f"/api/v1/invoices/{moved['id']}", headers=sam_h)).is_success
    gone = await any_api.http.get(f"/api/v1/invoices/{moved['id']}", headers=mia_h)
    assert gone.status_code == 404
    # drafted after the move: the new manager's at once
    any_api.clock.advance(timedelta(minutes=1))
    later = await any_api.invoice(acme, headers=sam_h)
    assert await ids(sam_h) == [moved["id"], later["id"]]
