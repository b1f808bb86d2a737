"""The billing reports as JSON, CSV and Excel, per currency, within the caller's scope."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest

from tests.integration.billing.helpers import Api, as_
from tests.support.apps import ADMIN

pytestmark = pytest.mark.integration


async def seed(api: Api) -> tuple[str, str, str]:
    """Two managers; Mia's client has EUR invoices (one 40 days overdue, one current, one
    paid late) and a JPY one; Max's client one EUR invoice."""
    mia, max_ = await api.staff("Mia"), await api.staff("Max")
    acme, other = await api.client("Acme", mia), await api.client("Other", max_)
    await api.invoice(acme, issue={"issue_date": "2026-10-01", "due_date": "2026-10-14"})
    await api.invoice(acme, issue={"due_date": "2026-12-01"})
    late = await api.invoice(acme, issue={"issue_date": "2026-11-01", "due_date": "2026-11-10"})
    await api.invoice(
        acme,
        [{"description": "x", "quantity": "1", "unit_price": "5000"}],
        currency="JPY",
        issue={},
    )
    await api.invoice(other, issue={})
    await api.post(
        "/api/v1/payments",
        {
            "client_id": acme,
            "amount": "120.00",
            "currency": "EUR",
            "allocations": [{"invoice_id": late["id"], "amount": "120.00"}],
        },
        expect=201,
    )
    await api.post(
        "/api/v1/opportunities",
        {
            "client_id": acme,
            "title": "Seats",
            "stage": "proposal",
            "value": {"amount": "900", "currency": "EUR"},
        },
        expect=201,
    )
    return mia, acme, other


async def test_aging_per_client_and_currency(any_api: Api) -> None:
    mia, _, _ = await seed(any_api)
    report = (
        await any_api.http.get(
            "/api/v1/reports/aging", headers=as_(mia), params={"as_of": "2026-11-23"}
        )
    ).json()
    rows = [
        (r["client_name"], r["currency"], r["current"], r["31_60"], r["total"])
        for r in report["rows"]
    ]
    assert rows == [
        ("Acme", "EUR", "120.00", "120.00", "240.00"),
        ("Acme", "JPY", "5000", "0", "5000"),
        ("TOTAL", "EUR", "120.00", "120.00", "240.00"),
        ("TOTAL", "JPY", "5000", "0", "5000"),
    ]
    everyone = (
        await any_api.http.get(
            "/api/v1/reports/aging", headers=ADMIN, params={"as_of": "2026-11-23"}
        )
    ).json()
    totals = {r["currency"]: r["total"] for r in everyone["rows"] if r["client_name"] == "TOTAL"}
    assert totals == {"EUR": "360.00", "JPY": "5000"}
    # the day before (the payment, and the current invoice's issue): the late one was open
    before = (
        await any_api.http.get(
            "/api/v1/reports/aging", headers=as_(mia), params={"as_of": "2026-11-22"}
        )
    ).json()
    assert (before["rows"][0]["1_30"], before["rows"][0]["current"]) == ("120.00", "0.00")


async def test_revenue_ltv_discipline_pipeline(any_api: Api) -> None:
    mia, acme, _ = await seed(any_api)
    revenue = (
        await any_api.http.get(
            "/api/v1/reports/revenue",
            headers=ADMIN,
            params={"from": "2026-11-01", "to": "2026-11-30"},
        )
    ).json()
    mine = [
        (r["currency"], r["invoices"], r["invoiced"], r["collected"])
        for r in revenue["rows"]
        if r["account_manager_id"] == mia
    ]
    assert mine == [("EUR", 2, "240.00", "120.00"), ("JPY", 1, "5000", "0")]
    bad = await any_api.http.get(
        "/api/v1/reports/revenue", headers=ADMIN, params={"from": "2026-11-30", "to": "2026-11-01"}
    )
    assert bad.status_code == 422
    ltv = (
        await any_api.http.get("/api/v1/reports/ltv", headers=ADMIN, params={"client_id": acme})
    ).json()
    assert [(r["currency"], r["invoiced"], r["collected"], r["open"]) for r in ltv["rows"]] == [
        ("EUR", "360.00", "120.00", "240.00"),
        ("JPY", "5000", "0", "5000"),
    ]
    discipline = (
        await any_api.http.get("/api/v1/reports/payment-discipline", headers=as_(mia))
    ).json()
    eur = discipline["rows"][0]
    assert (
        eur["currency"],
        eur["invoices_paid"],
        eur["on_time_share"],
        eur["average_days_late"],
        eur["overdue_balance"],
    ) == ("EUR", 1, "0.0000", "13.0", "120.00")
    pipeline = (await any_api.http.get("/api/v1/reports/pipeline", headers=as_(mia))).json()
    assert [(r["stage"], r["opportunities"], r["value"]) for r in pipeline["rows"]] == [
        ("proposal", 1, "900.00")
    ]


async def test_csv_and_xlsx(any_api: Api) -> None:
    mia, *_ = await seed(any_api)
    as_csv = await any_api.http.get(
        "/api/v1/reports/aging", headers=as_(mia), params={"as_of": "2026-11-23", "format": "csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="aging-2026-11-23.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["client_name"], r["currency"], r["total"]) for r in rows][:2] == [
        ("Acme", "EUR", "240.00"),
        ("Acme", "JPY", "5000"),
    ]
    by_accept = await any_api.http.get(
        "/api/v1/reports/pipeline", headers={**as_(mia), "Accept": "text/csv"}
    )
    assert by_accept.text.startswith("account_manager_id,")
    xlsx = await any_api.http.get(
        "/api/v1/reports/revenue", headers=as_(mia), params={"format": "xlsx", "from": "2026-11-01"}
    )
    assert xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "invoiced" in strings and "<v>240</v>" in sheet
    any_api.clock.advance(timedelta(days=1))
    service = await any_api.http.get(
        "/api/v1/reports/aging", headers=as_(await any_api.staff("Bank", "service"), "service")
    )
    assert service.status_code == 403
