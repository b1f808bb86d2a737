"""The scorecard on a real PostgreSQL database (and on SQLite, the embedded mode): events
of the clients, interactions and billing services (their own event models) through the
notifications consumer build the expected KPIs; delivering them all again changes nothing;
the scope matrix (manager, head, admin); CSV and an Excel workbook with its charts; bad
parameters are 422."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import pytest

from services.billing.events import InvoiceIssuedV1, InvoicePaidV1
from services.interactions.events import RequestClosedV1, RequestOpenedV1, SlaBreachedV1
from services.notifications.app import create_app
from services.notifications.handlers.scorecard.reports import write_reports
from services.notifications.settings import NotificationsSettings
from shared.clock import FixedClock
from tests.integration.notifications.scorecard_world import NOW, World, build
from tests.support.apps import ADMIN, auth, running, runtime_of, test_settings

pytestmark = pytest.mark.integration

WEEK = {"period": "week", "date": "2026-11-25"}


@dataclass
class Env:
    http: httpx.AsyncClient
    world: World

    def as_(self, name: str, role: str) -> dict[str, str]:
        return auth(self.world.staff[name], role)

    async def card(self, headers: dict[str, str], **params: Any) -> dict[str, Any]:
        response = await self.http.get(
            "/api/v1/reports/scorecard", headers=headers, params={**WEEK, **params}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
async def env(any_db_url: str) -> AsyncIterator[Env]:
    """The world on PostgreSQL and on SQLite (``orbit run``, the embedded mode)."""
    settings = test_settings(database_url=any_db_url, scheduler_interval_seconds=3600)
    app = create_app(settings, clock=FixedClock(NOW), migrate_on_start=True)
    async with running(app) as http:
        world = World(runtime_of(app, "notifications"))
        await build(world)
        yield Env(http, world)


def kpis(card: dict[str, Any]) -> dict[tuple[str, str | None, str, str | None], dict[str, Any]]:
    """Rows by (level, manager or department, kpi, currency)."""
    out = {}
    for row in card["rows"]:
        who = row["manager"] if row["level"] == "manager" else row["department"]
        out[(row["level"], who, row["kpi"], row["currency"])] = row
    return out


def value(
    card: dict[str, Any], level: str, who: str | None, kpi: str, currency: str | None = None
) -> Any:
    return kpis(card)[(level, who, kpi, currency)]["current"]


async def test_events_of_the_three_services_build_the_scorecard(env: Env) -> None:
    card = await env.card(env.as_("Hana", "head"))
    assert card["parameters"]["start"] == "2026-11-23"
    assert card["parameters"]["end"] == "2026-11-29"
    assert card["parameters"]["previous"]["start"] == "2026-11-16"
    assert card["parameters"]["year_ago"]["start"] == "2025-11-24"
    rows = kpis(card)
    ann = {k[2:]: r for k, r in rows.items() if k[:2] == ("manager", "Ann")}
    assert ann[("revenue_invoiced", "EUR")]["current"] == "1000.00"  # the void one is not
    assert ann[("revenue_invoiced", "USD")]["current"] == "200.00"
    assert ann[("revenue_collected", "EUR")]["current"] == "400.00"
    assert ann[("overdue_balance", "EUR")]["current"] == "600.00"
    assert ann[("clients_active", None)]["current"] == 1
    assert ann[("clients_prospect", None)]["current"] == 1
    assert ann[("new_clients", None)]["current"] == 1
    assert ann[("nps", None)]["current"] == "0.0"
    assert ann[("nps_responses", None)]["current"] == 2
    assert ann[("csat", None)]["current"] == "100.0"
    assert ann[("requests", None)]["current"] == 3
    assert ann[("answered_on_time", None)]["current"] == 2
    assert ann[("breached", None)]["current"] == 1
    assert ann[("sla_compliance", None)]["current"] == "66.7"
    assert ann[("sla_compliance", None)]["previous"] == "100.0"
    assert ann[("sla_compliance", None)]["change"] == "-33.3"
    assert ann[("median_first_response_minutes", None)]["current"] == "30.0"
    assert ann[("meetings", None)]["current"] == 1
    assert ann[("meeting_reports_on_time", None)]["current"] == 1
    assert ann[("cadence_lapses", None)]["current"] == 1
    assert ann[("pipeline_proposal", None)]["current"] == 1
    assert ann[("pipeline_proposal_value", "EUR")]["current"] == "5000.00"

    assert value(card, "manager", "Bob", "churned_clients") == 1
    assert value(card, "manager", "Bob", "clients_churned") == 1
    sales = rows[("department", "Sales", "revenue_invoiced", "EUR")]
    assert (sales["current"], sales["previous"], sales["year_ago"]) == (
        "1000.00",
        "150.00",
        "300.00",
    )
    assert sales["change"] == "850.00"
    assert sales["change_year_percent"] == "233.3"
    total = rows[("total", None, "revenue_invoiced", "EUR")]
    assert total["current"] == "1000.00"  # Cid (Support) is not Hana's
    # money is never summed across currencies: EUR and USD stay two rows
    assert rows[("total", None, "revenue_invoiced", "USD")]["current"] == "200.00"


async def test_redelivered_events_change_nothing(env: Env) -> None:
    before = await env.card(ADMIN)
    await env.world.replay()
    assert await env.card(ADMIN) == before
    assert value(before, "total", None, "revenue_invoiced", "EUR") == "1050.00"


async def test_scope_matrix(env: Env) -> None:
    ann, hana, cid = env.as_("Ann", "manager"), env.as_("Hana", "head"), env.as_("Cid", "manager")
    names = lambda card: {r["manager"] for r in card["rows"] if r["level"] == "manager"}  # noqa: E731

    assert names(await env.card(ann)) == {"Ann"}
    assert names(await env.card(hana)) == {"Hana", "Ann", "Bob"}
    admin = await env.card(ADMIN)
    assert names(admin) == {"Hana", "Ann", "Bob", "Cid"}
    assert {r["department"] for r in admin["rows"] if r["level"] == "department"} == {
        "Sales",
        "Support",
    }
    assert value(await env.card(cid), "total", None, "revenue_invoiced", "EUR") == "50.00"
    # filters inside the scope narrow it
    only_bob = await env.card(hana, account_manager_id=str(env.world.staff["Bob"]))
    assert names(only_bob) == {"Bob"}
    assert value(only_bob, "total", None, "revenue_invoiced", "EUR") == "0.00"
    support = await env.card(ADMIN, department="Support")
    assert names(support) == {"Cid"}
    assert value(support, "total", None, "revenue_invoiced", "EUR") == "50.00"
    # outside it: 403
    for headers, params in (
        (ann, {"account_manager_id": str(env.world.staff["Bob"])}),
        (hana, {"account_manager_id": str(env.world.staff["Cid"])}),
        (hana, {"department": "Support"}),
        (cid, {"department": "Sales"}),
    ):
        response = await env.http.get(
            "/api/v1/reports/scorecard", headers=headers, params={**WEEK, **params}
        )
        assert response.status_code == 403, (params, response.text)
    response = await env.http.get("/api/v1/reports/scorecard", params=WEEK)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"period": "year"},
        {"date": "2026-13-01"},
        {"date": "yesterday"},
        {"date": "0001-01-01"},
        {"date": "1900-06-01"},
        {"date": "9999-12-31"},
        {"account_manager_id": "nope"},
        {"format": "pdf"},
        {"department": ""},
    ],
)
async def test_bad_parameters_are_422_problems(env: Env, params: dict[str, str]) -> None:
    response = await env.http.get(
        "/api/v1/reports/scorecard", headers=ADMIN, params={**WEEK, **params}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["loc"][0] == "query"


@pytest.mark.parametrize("period", ["day", "month", "quarter"])
async def test_every_period(env: Env, period: str) -> None:
    card = await env.card(ADMIN, period=period)
    assert card["parameters"]["period"] == period
    invoiced = value(card, "manager", "Ann", "revenue_invoiced", "EUR")
    assert invoiced == ("0.00" if period == "day" else "1000.00")  # 25 Nov: Cid's only


async def test_csv_and_the_excel_workbook_with_its_charts(env: Env) -> None:
    hana = env.as_("Hana", "head")
    response = await env.http.get(
        "/api/v1/reports/scorecard", headers=hana, params={**WEEK, "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {
        "level": "total",
        "kpi": "revenue_invoiced",
        "currency": "EUR",
        "current": "1000.00",
    }.items() <= next(
        r
        for r in rows
        if (r["level"], r["kpi"], r["currency"]) == ("total", "revenue_invoiced", "EUR")
    ).items()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = await env.http.get(
        "/api/v1/reports/scorecard", headers={**hana, "Accept": xlsx}, params=WEEK
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == xlsx
    assert "scorecard-week-2026-W48.xlsx" in response.headers["content-disposition"]
    check_workbook(response.content, manager="Ann", eur="1000")


def check_workbook(content: bytes, *, manager: str, eur: str) -> None:
    """The workbook opens, has its three sheets, and the charts (column, line) are native."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Scorecard", "Revenue", "SLA"]
    revenue = {row[0]: row[1:] for row in book["Revenue"].iter_rows(values_only=True)}
    assert revenue["manager"][0] == "EUR"
    assert revenue[manager][0] == float(eur)
    header = [c.value for c in book["Scorecard"][2]]
    assert header[:5] == ["level", "department", "manager_id", "manager", "kpi"]
    trend = list(book["SLA"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 8
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        charts = [
            archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/charts/chart")
        ]
    assert any("<c:barChart>" in c for c in charts)
    assert any("<c:lineChart>" in c and "SLA compliance" in c for c in charts)


async def test_unknown_staff_member_sees_nothing_but_is_not_an_error(env: Env) -> None:
    """A token of a manager the service does not know is refused like everywhere (401)."""
    response = await env.http.get(
        "/api/v1/reports/scorecard", headers=auth(uuid.uuid4(), "manager"), params=WEEK
    )
    assert response.status_code == 401


async def test_a_head_turns_a_scheduled_report_off(env: Env) -> None:
    hana, ann = env.as_("Hana", "head"), env.as_("Ann", "manager")
    path = "/api/v1/reports/scorecard/subscriptions"
    response = await env.http.get(path, headers=hana)
    assert response.json() == {"day": True, "week": True, "month": True}
    response = await env.http.put(path, headers=hana, json={"week": False})
    assert response.status_code == 200, response.text
    assert response.json() == {"day": True, "week": False, "month": True}
    assert (await env.http.put(path, headers=ann, json={"week": False})).status_code == 403
    hana_id = str(env.world.staff["Hana"])
    response = await env.http.get(path, headers=ADMIN, params={"staff_id": hana_id})
    assert response.json()["week"] is False
    assert (await env.http.get(path, headers=ann, params={"staff_id": hana_id})).status_code == 403
    for body in ({"year": False}, {"week": "sometimes"}):
        response = await env.http.put(path, headers=hana, json=body)
        assert response.status_code == 422, body

    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    weekly = NotificationsSettings(
        **(test_settings().model_dump() | {"notifications_report_periods": ["week"]})
    )
    uows = env.world.runtime.uow
    assert await write_reports(uows, monday, weekly) == 0  # off
    response = await env.http.put(path, headers=hana, json={"week": True, "day": None})
    assert response.json() == {"day": True, "week": True, "month": True}
    assert await write_reports(uows, monday, weekly) == 1  # on again: Hana's
    # the report is an email delivery, kept out of the delivery log of events
    response = await env.http.get("/api/v1/deliveries", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert "scorecard" not in response.text


async def test_facts_do_not_depend_on_the_order_of_events(env: Env) -> None:
    """An invoice's older event arriving after a newer one does not undo it; a request's
    breach and first answer stick whatever comes after."""
    world = env.world
    at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    invoice_id = uuid.uuid4()
    team = {**world._team("Acme")}
    snapshot = {
        **team,
        "invoice_id": invoice_id,
        "number": "INV-late",
        "contract_id": None,
        "currency": "EUR",
        "subtotal": "70.00",
        "tax": "0",
        "total": "70.00",
        "issue_date": date(2026, 11, 24),
        "due_date": date(2026, 11, 25),
    }
    await world.deliver(
        InvoicePaidV1(
            **snapshot, amount_paid="70.00", balance="0", status="paid", paid_on=date(2026, 11, 24)
        ),
        at + timedelta(hours=1),
    )
    await world.deliver(
        InvoiceIssuedV1(**snapshot, amount_paid="0", balance="70.00", status="issued"), at
    )
    card = await env.card(ADMIN)
    assert value(card, "manager", "Ann", "revenue_invoiced", "EUR") == "1070.00"
    assert value(card, "manager", "Ann", "overdue_balance", "EUR") == "600.00"  # not 670

    request_id = uuid.uuid4()
    opened = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    await world.deliver(
        SlaBreachedV1(
            **world._request("Acme", request_id, opened, status="breached", breached=True)
        ),
        opened + timedelta(hours=1),
    )
    await world.deliver(
        RequestOpenedV1(
            **world._request("Acme", request_id, opened), at_risk_at=opened + timedelta(minutes=45)
        ),
        opened,
    )
    card = await env.card(ADMIN)
    assert value(card, "manager", "Ann", "requests") == 4
    assert value(card, "manager", "Ann", "breached") == 2


async def test_closed_requests_count_apart_by_code_and_never_as_missed(env: Env) -> None:
    """A request closed as not a real one (``request.closed``: spam, a duplicate) is in no
    request KPI (a breach before it or a late event of it neither), and the scorecard counts
    the closed ones of its scope per close code in ``closed``, as ``/reports/sla`` does."""
    world = env.world
    kpis_of = ("requests", "breached", "answered_on_time", "sla_compliance")

    async def figures(headers: dict[str, str]) -> tuple[dict[str, Any], dict[str, int]]:
        card = await env.card(headers)
        return {k: value(card, "manager", "Ann", k) for k in kpis_of}, card["closed"]

    before, closed = await figures(ADMIN)
    assert closed == {}
    opened = NOW - timedelta(hours=3)  # in the week

    async def close(request_id: uuid.UUID, code: str, at: datetime, **state: Any) -> None:
        snapshot = world._request("Acme", request_id, opened, status="closed", **state)
        await world.deliver(
            RequestClosedV1(
                **snapshot, closed_at=at, closed_by=world.staff["Ann"], code=code, reason=code
            ),
            at,
        )

    # breached, then closed as spam
    spam = uuid.uuid4()
    await world.deliver(
        RequestOpenedV1(**world._request("Acme", spam, opened), at_risk_at=opened), opened
    )
    await world.deliver(
        SlaBreachedV1(**world._request("Acme", spam, opened, status="breached", breached=True)),
        opened + timedelta(hours=1),
    )
    await close(spam, "spam", opened + timedelta(hours=2), breached=True)
    # closed as a duplicate, then an older breach of it arriving late
    duplicate = uuid.uuid4()
    await world.deliver(
        RequestOpenedV1(**world._request("Acme", duplicate, opened), at_risk_at=opened), opened
    )
    await close(duplicate, "duplicate", opened + timedelta(minutes=10))
    await world.deliver(
        SlaBreachedV1(
            **world._request("Acme", duplicate, opened, status="breached", breached=True)
        ),
        opened + timedelta(hours=1),
    )
    await world.replay()  # at-least-once: nothing twice

    after, closed = await figures(ADMIN)
    assert after == before
    assert closed == {"duplicate": 1, "spam": 1}
    assert (await figures(env.as_("Ann", "manager")))[1] == {"duplicate": 1, "spam": 1}
    assert (await env.card(env.as_("Cid", "manager")))["closed"] == {}  # another's scope
    earlier = await env.card(ADMIN, date=str((NOW - timedelta(days=7)).date()))
    assert earlier["closed"] == {}  # opened in this week, not the one before
