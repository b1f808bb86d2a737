"""The billing reports as JSON, CSV and Excel, per currency, within the caller's scope."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.billing.helpers import NOW, Api, as_
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


# Saturday 28 November 2026, 23:30 UTC: already Sunday in Berlin, Tokyo and Kiritimati (UTC+14),
# still Saturday in UTC and New York.
LATE_SATURDAY = NOW.replace(day=28, hour=23, minute=30)
EAST = ("Europe/Berlin", "Asia/Tokyo", "Pacific/Kiritimati")
ZONES = (*EAST, "UTC", "America/New_York")


async def clients_issued_today(api: Api) -> tuple[str, dict[str, str]]:
    """A client in each of ``ZONES`` with two invoices at ``LATE_SATURDAY``: one issued on
    its today (the default), one issued a week before and due on UTC's Saturday (overdue
    where it is Sunday already)."""
    api.clock.set(LATE_SATURDAY)
    saturday = LATE_SATURDAY.date()  # UTC's (and New York's) date; the east is on Sunday
    manager = await api.staff("Mia")
    clients = {}
    for zone in ZONES:
        clients[zone] = await api.client(zone, manager, timezone=zone)
        today = await api.invoice(clients[zone], issue={})
        expected = saturday + timedelta(days=1) if zone in EAST else saturday
        assert today["issue_date"] == expected.isoformat(), zone
        earlier = {"issue_date": str(saturday - timedelta(days=8)), "due_date": str(saturday)}
        await api.invoice(clients[zone], issue=earlier)
    return manager, clients


async def test_default_today_of_each_report_is_the_clients_today(any_api: Api) -> None:
    manager, clients = await clients_issued_today(any_api)
    zone_of = {client: zone for zone, client in clients.items()}

    async def report(name: str) -> dict[str, Any]:
        response = await any_api.http.get(f"/api/v1/reports/{name}", headers=as_(manager))
        assert response.status_code == 200, response.text
        return dict(response.json())

    aging = await report("aging")
    assert aging["parameters"]["as_of"] is None
    buckets = {zone_of[r["client_id"]]: r for r in aging["rows"] if r["client_id"]}
    assert set(buckets) == set(ZONES), "an invoice issued today is missing"
    for zone, row in buckets.items():
        assert row["total"] == "240.00", zone
        if zone in EAST:
            assert (row["current"], row["1_30"]) == ("120.00", "120.00"), zone
        else:
            assert (row["current"], row["1_30"]) == ("240.00", "0.00"), zone

    revenue = await report("revenue")
    assert revenue["parameters"]["from"] is None and revenue["parameters"]["to"] is None
    assert [(r["invoices"], r["invoiced"]) for r in revenue["rows"]] == [(10, "1200.00")]

    discipline = await report("payment-discipline")
    overdue = {zone_of[r["client_id"]]: r["overdue_balance"] for r in discipline["rows"]}
    assert overdue == {zone: "120.00" if zone in EAST else "0.00" for zone in ZONES}
