"""Lists filtered by ``status`` filter in SQL on the status the API shows (an unpaid issued
invoice past its due date in its client's timezone is ``overdue`` before the scan marks it):
every page but the last is full, the cursors walk exactly the matching invoices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.billing.helpers import Api
from tests.support.apps import ADMIN

pytestmark = pytest.mark.integration

# UTC 10:30: Kiritimati (UTC+14) is at 24 Nov 00:30 already, Pago Pago (UTC-11) still at
# 22 Nov 23:30.
AT = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)


async def _walk(api: Api, status: str, limit: int) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"status": status, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await api.http.get("/api/v1/invoices", params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        page = response.json()
        assert all(item["status"] == status for item in page["items"])
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids
        assert len(page["items"]) == limit  # a page before the last one is full


async def test_status_filters_page_in_sql(any_api: Api) -> None:
    any_api.clock.set(AT)
    utc = await any_api.client("Here", None)
    ahead = await any_api.client("Ahead", None, timezone="Pacific/Kiritimati")
    behind = await any_api.client("Behind", None, timezone="Pacific/Pago_Pago")
    made: dict[str, str] = {}

    async def invoice(name: str, client: str, due: str, price: str = "100.00") -> str:
        line = {"description": "Work", "quantity": "1", "unit_price": price, "tax_rate": "0.20"}
        issued = await any_api.invoice(
            client, [line], issue={"issue_date": "2026-11-01", "due_date": due}
        )
        made[name] = issued["id"]
        return str(issued["id"])

    for n in range(3):  # a page of other invoices between the matching ones
        await any_api.invoice(utc)
        await invoice(f"future {n}", utc, "2026-12-20")
        await invoice(f"late {n}", utc, f"2026-11-1{n}")
    await invoice("utc yesterday", utc, "2026-11-22")
    await invoice("utc today", utc, "2026-11-23")
    await invoice("ahead today", ahead, "2026-11-23")  # their tomorrow: late
    await invoice("ahead tomorrow", ahead, "2026-11-24")
    await invoice("behind yesterday", behind, "2026-11-22")  # their today: not late
    await invoice("behind before", behind, "2026-11-21")
    await invoice("nothing to pay", utc, "2026-11-10", price="0")
    partly = await invoice("partly paid", utc, "2026-11-15")
    paid = await invoice("paid", utc, "2026-11-16")
    await invoice("partly paid, not due", utc, "2026-12-15")
    for invoice_id, amount in (
        (partly, "20.00"),
        (paid, "120.00"),
        (made["partly paid, not due"], "20.00"),
    ):
        await any_api.post(
            "/api/v1/payments",
            {
                "client_id": utc,
                "amount": amount,
                "currency": "EUR",
                "allocations": [{"invoice_id": invoice_id, "amount": amount}],
            },
            expect=201,
        )
    names = {v: k for k, v in made.items()}
    overdue = {"late 0", "late 1", "late 2", "utc yesterday", "ahead today", "behind before"}
    overdue.add("partly paid")
    expected = {
        "overdue": overdue,
        "issued": {"future 0", "future 1", "future 2", "utc today", "ahead tomorrow"}
        | {"behind yesterday", "nothing to pay"},
        "partially_paid": {"partly paid, not due"},
        "paid": {"paid"},
    }
    everything = (
        await any_api.http.get("/api/v1/invoices", params={"limit": 100}, headers=ADMIN)
    ).json()["items"]
    shown = {names[i["id"]]: i["status"] for i in everything if i["id"] in names}
    for status, wanted in expected.items():
        assert {name for name, s in shown.items() if s == status} == wanted, status
        for limit in (1, 2, 3):
            found = await _walk(any_api, status, limit)
            assert len(found) == len(set(found))
            assert {names[i] for i in found} == wanted, (status, limit)
    # the scan marks them: the same lists
    await any_api.scan()
    for status, wanted in expected.items():
        assert {names[i] for i in await _walk(any_api, status, 2)} == wanted, status
    drafts = await _walk(any_api, "draft", 2)
    assert len(drafts) == 3
