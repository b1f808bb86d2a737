"""The ageing and revenue reports sum in the database: several invoices of one client in
several currencies and buckets, partly paid, one credit note, a client in another timezone,
and a client of another department's manager that no one of this department sees; each
figure is the one of the rule, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from services.billing.api.exports import plain_rows
from services.billing.store import reports
from shared.auth import Caller, Role
from shared.replicas import client_replica
from tests.integration.billing.helpers import NOW, Api, as_
from tests.support.apps import ADMIN

pytestmark = pytest.mark.integration

TODAY = NOW.date()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


async def issued(api: Api, client: str, issue: int, due: int, currency: str = "EUR") -> str:
    """A 120.00 (100.00 + 20 % tax; 120 in JPY) invoice issued ``issue`` days from today."""
    invoice = await api.invoice(
        client, currency=currency, issue={"issue_date": day(issue), "due_date": day(due)}
    )
    return str(invoice["id"])


async def pay(api: Api, client: str, invoice: str, amount: str, currency: str = "EUR") -> None:
    payment = {
        "client_id": client,
        "amount": amount,
        "currency": currency,
        "allocations": [{"invoice_id": invoice, "amount": amount}],
    }
    await api.post("/api/v1/payments", payment, expect=201)


async def seed(api: Api) -> dict[str, str]:
    head = await api.staff("Hana", "head", department="North")
    mia = await api.staff("Mia", department="North", head_id=head)
    max_ = await api.staff("Max", department="South")
    acme = await api.client("Acme", mia)
    tokyo = await api.client("Tokyo Ltd", mia, timezone="Asia/Tokyo")
    other = await api.client("Other", max_)
    overdue_40 = await issued(api, acme, -45, -40)  # 31-60, a credit note of 20.00
    current = await issued(api, acme, -5, 9)  # current, 50.00 of it paid
    paid = await issued(api, acme, -20, -10)  # paid in full: not open
    await issued(api, acme, -100, -95, "USD")  # 90+
    await issued(api, acme, -1, 13, "USD")  # current, issued yesterday
    await issued(api, tokyo, -70, -65)  # 61-90
    tokyo_paid = await issued(api, tokyo, -30, -16, "USD")  # paid in full: no USD row
    await issued(api, other, -45, -40)  # another department's
    await pay(api, acme, current, "50.00")
    await pay(api, acme, paid, "120.00")
    await pay(api, tokyo, tokyo_paid, "120.00", "USD")
    await pay(api, other, (await api.invoice(other, issue={}))["id"], "70.00")
    note = {"amount": "20.00", "reason": "late delivery"}
    await api.post(f"/api/v1/invoices/{overdue_40}/credit-notes", note, expect=201)
    for client, stage, value in (
        (acme, "proposal", {"amount": "900", "currency": "EUR"}),
        (tokyo, "proposal", {"amount": "100.50", "currency": "EUR"}),
        (acme, "lead", None),
        (tokyo, "won", {"amount": "5", "currency": "EUR"}),
        (other, "proposal", {"amount": "50", "currency": "EUR"}),
    ):
        opportunity = {"client_id": client, "title": "Seats", "stage": stage, "value": value}
        await api.post("/api/v1/opportunities", opportunity, expect=201)
    return {"head": head, "mia": mia, "max": max_, "tokyo": tokyo}


async def get(api: Api, path: str, headers: dict[str, str], **params: Any) -> list[Any]:
    response = await api.http.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


AGING = [
    ("Acme", "EUR", "70.00", "0.00", "100.00", "0.00", "0.00", "170.00"),
    ("Acme", "USD", "120.00", "0.00", "0.00", "0.00", "120.00", "240.00"),
    ("Tokyo Ltd", "EUR", "0.00", "0.00", "0.00", "120.00", "0.00", "120.00"),
    ("TOTAL", "EUR", "70.00", "0.00", "100.00", "120.00", "0.00", "290.00"),
    ("TOTAL", "USD", "120.00", "0.00", "0.00", "0.00", "120.00", "240.00"),
]
COLUMNS = ("client_name", "currency", "current", "1_30", "31_60", "61_90", "90_plus", "total")


async def test_aging_sums_each_clients_open_invoices_by_bucket_and_currency(any_api: Api) -> None:
    staff = await seed(any_api)
    for caller, role in (("mia", "manager"), ("head", "head")):
        rows = await get(any_api, "/api/v1/reports/aging", as_(staff[caller], role))
        assert [tuple(r[c] for c in COLUMNS) for r in rows] == AGING, caller
        filtered = await get(
            any_api,
            "/api/v1/reports/aging",
            as_(staff[caller], role),
            account_manager_id=staff["max"],
        )
        assert filtered == [], caller
    everyone = await get(any_api, "/api/v1/reports/aging", ADMIN)
    other = [r for r in everyone if r["client_name"] == "Other"]
    assert [(r["31_60"], r["current"], r["total"]) for r in other] == [
        ("120.00", "50.00", "170.00")
    ]
    assert [r["total"] for r in everyone if r["client_name"] == "TOTAL"] == ["460.00", "240.00"]
    # two days back: the current USD invoice not issued yet, the payments and the credit
    # note not made yet (the invoice paid since was 8 days overdue)
    before = await get(any_api, "/api/v1/reports/aging", as_(staff["mia"]), as_of=day(-2))
    assert await get(any_api, "/api/v1/reports/aging", ADMIN, as_of="0001-01-01") == []
    last_day = await get(any_api, "/api/v1/reports/aging", ADMIN, as_of="9999-12-31")
    assert [r["90_plus"] for r in last_day if r["client_name"] == "TOTAL"] == ["460.00", "240.00"]
    assert [tuple(r[c] for c in COLUMNS) for r in before][:2] == [
        ("Acme", "EUR", "120.00", "120.00", "120.00", "0.00", "0.00", "360.00"),
        ("Acme", "USD", "0.00", "0.00", "0.00", "0.00", "120.00", "120.00"),
    ]


async def written_as_made(api: Api, staff: dict[str, str], write: Any, make: Any) -> list[Caller]:
    """Asserts that the JSON ``write`` has the database write is the JSON of the rows ``make``
    makes in Python, for a manager, a head and an admin, each of every manager or of one;
    returns the callers (the manager first)."""
    callers = [
        Caller(uuid.UUID(staff["mia"]), Role.MANAGER),
        Caller(uuid.UUID(staff["head"]), Role.HEAD, "North"),
        Caller(uuid.uuid4(), Role.ADMIN),
    ]
    now = api.clock.now()
    for caller in callers:
        for manager in (None, uuid.UUID(staff["mia"]), uuid.UUID(staff["max"])):
            async with api.runtime.sessions() as session:
                written = await write(session, caller, now, manager)
                made = plain_rows(await make(session, caller, now, manager))
            assert written is not None
            assert json.loads(written) == made, (caller.role, manager)
    return callers


async def _aging_now(session: Any, caller: Caller, now: Any, manager: Any) -> Any:
    return await reports.aging(session, caller, None, now, manager)


async def test_the_databases_aging_json_is_the_rows_made_in_python(api: Api) -> None:
    """PostgreSQL writes the ageing's JSON itself on each client's today (a head's report has
    thousands of rows); it is the JSON of the rows made in Python, row for row, for every
    scope: due dates on each bucket's edges, clients east and west of UTC (an invoice issued
    on UTC's tomorrow is in for Auckland only once it is tomorrow there), currencies of 0, 2
    and 3 decimals, part paid and paid in full, two clients of one name."""
    staff = await seed(api)
    honolulu = await api.client("Honolulu Ltd", staff["mia"], timezone="Pacific/Honolulu")
    auckland = await api.client("Auckland Ltd", staff["mia"], timezone="Pacific/Auckland")
    twin = await api.client("Acme", staff["mia"], timezone="Europe/Berlin")
    for client in (honolulu, auckland, twin):
        for due in (0, -1, -29, -30, -31, -59, -60, -61, -89, -90, -91):
            await issued(api, client, due - 5, due)
    await issued(api, auckland, 1, 15)
    await issued(api, honolulu, 0, 14, "JPY")  # in once it is UTC's today in Honolulu
    await issued(api, honolulu, -3, -2, "JPY")
    kwd = await issued(api, auckland, -40, -31, "KWD")
    await pay(api, auckland, kwd, "0.005", "KWD")
    full = await issued(api, twin, -40, -35)
    await pay(api, twin, full, "120.00")
    callers = await written_as_made(api, staff, reports.aging_json, _aging_now)
    now = api.clock.now()
    async with api.runtime.sessions() as session:
        rows = json.loads(await reports.aging_json(session, callers[0], now) or "")
    names = [r["client_name"] for r in rows]
    assert names.count("Acme") == 3 and names[-2:] == ["TOTAL", "TOTAL"], names
    assert [r["currency"] for r in rows if r["client_name"] == "Auckland Ltd"] == ["EUR", "KWD"]
    assert [r["total"] for r in rows if r["currency"] == "KWD"] == ["119.995", "119.995"]
    assert [r["1_30"] for r in rows if r["currency"] == "JPY"] == ["120", "120"]


async def test_revenue_counts_and_sums_per_manager_and_currency(any_api: Api) -> None:
    staff = await seed(any_api)
    for caller, role in (("mia", "manager"), ("head", "head")):
        rows = await get(
            any_api,
            "/api/v1/reports/revenue",
            as_(staff[caller], role),
            **{"from": day(-50), "to": day(0)},
        )
        assert [
            (r["account_manager_name"], r["currency"], r["invoices"], r["invoiced"], r["collected"])
            for r in rows
        ] == [("Mia", "EUR", 3, "340.00", "170.00"), ("Mia", "USD", 2, "240.00", "120.00")], caller
    # the month so far (from the 1st, 22 days back)
    month = await get(any_api, "/api/v1/reports/revenue", as_(staff["mia"]))
    assert [(r["currency"], r["invoices"], r["invoiced"], r["collected"]) for r in month] == [
        ("EUR", 2, "220.00", "170.00"),
        ("USD", 1, "120.00", "120.00"),
    ]
    everyone = await get(any_api, "/api/v1/reports/revenue", ADMIN, **{"from": day(-50)})
    assert [(r["account_manager_name"], r["invoices"], r["collected"]) for r in everyone] == [
        ("Max", 2, "70.00"),
        ("Mia", 3, "170.00"),
        ("Mia", 2, "120.00"),
    ]


async def test_ltv_and_pipeline_sum_per_client_and_manager(any_api: Api) -> None:
    staff = await seed(any_api)
    for caller, role in (("mia", "manager"), ("head", "head")):
        ltv = await get(any_api, "/api/v1/reports/ltv", as_(staff[caller], role))
        assert [
            (
                r["client_name"],
                r["currency"],
                r["invoices"],
                r["first_invoice"],
                r["last_invoice"],
                r["invoiced"],
                r["collected"],
                r["open"],
            )
            for r in ltv
        ] == [
            ("Acme", "EUR", 3, day(-45), day(-5), "340.00", "170.00", "170.00"),
            ("Acme", "USD", 2, day(-100), day(-1), "240.00", "0.00", "240.00"),
            ("Tokyo Ltd", "EUR", 1, day(-70), day(-70), "120.00", "0.00", "120.00"),
            ("Tokyo Ltd", "USD", 1, day(-30), day(-30), "120.00", "120.00", "0.00"),
        ], caller
        pipeline = await get(any_api, "/api/v1/reports/pipeline", as_(staff[caller], role))
        assert [
            (r["account_manager_name"], r["stage"], r["currency"], r["opportunities"], r["value"])
            for r in pipeline
        ] == [("Mia", "lead", None, 1, "0"), ("Mia", "proposal", "EUR", 2, "1000.50")], caller
    other = await get(any_api, "/api/v1/reports/ltv", ADMIN)
    assert [(r["client_name"], r["collected"]) for r in other if r["client_name"] == "Other"] == [
        ("Other", "70.00")
    ]


DISCIPLINE = ("invoices_paid", "on_time_share", "average_days_late", "dso", "overdue_balance")


async def test_payment_discipline_counts_and_sums_per_client_and_currency(any_api: Api) -> None:
    """Paid on time or late, open and overdue, invoiced in the last 90 days, on each client's
    own today: Honolulu's is yesterday (09:00 UTC), so an invoice due yesterday is not
    overdue there and one issued 90 days ago is still in its last 90 days."""
    staff = await seed(any_api)
    honolulu = await any_api.client("Honolulu Ltd", staff["mia"], timezone="Pacific/Honolulu")
    await any_api.invoice(honolulu)  # a draft: not in
    await issued(any_api, honolulu, -90, -1)  # open, due on its today: not overdue
    late = await issued(any_api, honolulu, -95, -3)  # paid on its today: 2 days late
    await pay(any_api, honolulu, late, "120.00")
    for caller, role in (("mia", "manager"), ("head", "head")):
        rows = await get(any_api, "/api/v1/reports/payment-discipline", as_(staff[caller], role))
        assert [(r["client_name"], r["currency"], *(r[c] for c in DISCIPLINE)) for r in rows] == [
            # paid: one, 10 days late; open: 100.00 (overdue) + 70.00, of 360.00 invoiced
            ("Acme", "EUR", 1, "0.0000", "10.0", "42.5", "100.00"),
            # open: 120.00 overdue 95 days, 120.00 issued yesterday (in the last 90 days)
            ("Acme", "USD", 0, None, None, "180.0", "120.00"),
            ("Honolulu Ltd", "EUR", 1, "0.0000", "2.0", "90.0", "0.00"),
            ("Tokyo Ltd", "EUR", 0, None, None, "90.0", "120.00"),
            ("Tokyo Ltd", "USD", 1, "0.0000", "16.0", "0.0", "0.00"),
        ], caller
        filtered = await get(
            any_api,
            "/api/v1/reports/payment-discipline",
            as_(staff[caller], role),
            account_manager_id=staff["max"],
        )
        assert filtered == [], caller
    everyone = await get(any_api, "/api/v1/reports/payment-discipline", ADMIN)
    # 170.00 open (50.00 of today's invoice paid) of 240.00 invoiced: 63.75 days, rounded up
    assert [(r["dso"], r["overdue_balance"]) for r in everyone if r["client_name"] == "Other"] == [
        ("63.8", "120.00")
    ]


async def test_the_databases_payment_discipline_json_is_the_rows_made_in_python(api: Api) -> None:
    """PostgreSQL writes the payment discipline's JSON itself (a head's report has thousands of
    rows); it is the JSON of the rows made in Python, row for row and figure for figure, for
    every scope: clients east and west of UTC, currencies of 0, 2 and 3 decimals, a DSO on a
    tie (13.00 open of 120.00 invoiced over 90 days: 9.75, rounded up), no invoice paid."""
    staff = await seed(api)
    honolulu = await api.client("Honolulu Ltd", staff["mia"], timezone="Pacific/Honolulu")
    auckland = await api.client("Auckland Ltd", staff["mia"], timezone="Pacific/Auckland")
    late = await issued(api, honolulu, -95, -3)
    await pay(api, honolulu, late, "120.00")
    tie = await issued(api, auckland, -10, 5)
    await pay(api, auckland, tie, "107.00")
    await issued(api, auckland, -30, -2, "JPY")
    kwd = await issued(api, auckland, -60, -31, "KWD")
    await pay(api, auckland, kwd, "0.005", "KWD")
    await issued(api, honolulu, -91, 0, "KWD")
    callers = await written_as_made(
        api, staff, reports.payment_discipline_json, reports.payment_discipline
    )
    now = api.clock.now()
    async with api.runtime.sessions() as session:
        rows = await reports.payment_discipline_json(session, callers[0], now)
    figures = [
        (r["client_name"], r["currency"], r["dso"], r["overdue_balance"])
        for r in json.loads(rows or "")
    ]
    assert figures[2:7] == [
        ("Auckland Ltd", "EUR", "9.8", "0.00"),  # the tie
        ("Auckland Ltd", "JPY", "90.0", "120"),
        ("Auckland Ltd", "KWD", "90.0", "119.995"),  # 89.99625 days
        # issued 90 days before Honolulu's today (yesterday in UTC): not in its last 90 days;
        # due today in UTC, not yet on Honolulu's
        ("Honolulu Ltd", "EUR", None, "0.00"),
        ("Honolulu Ltd", "KWD", None, "0.000"),
    ]


class _MovedBetween:
    """A session whose first ``scalars`` (the timezones in scope) is followed, before the next
    statement, by a commit elsewhere that moves a client to a timezone no other client has."""

    def __init__(self, session: Any, move: Any) -> None:
        self._session, self._move = session, move

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        found = await self._session.scalars(*args, **kwargs)
        await self._move()
        return found


async def test_a_client_moving_timezone_meanwhile_stays_in_the_payment_discipline(
    api: Api,
) -> None:
    """The report reads the timezones in scope, then the invoices on their todays: a client
    moved to another timezone between the two is counted (on the today of one or the other),
    never dropped."""
    staff = await seed(api)
    mia = Caller(uuid.UUID(staff["mia"]), Role.MANAGER)
    now = api.clock.now()
    tokyo = uuid.UUID(staff["tokyo"])

    async def move() -> None:
        async with api.runtime.sessions() as other:
            await other.execute(
                update(client_replica)
                .where(client_replica.c.id == tokyo)
                .values(timezone="America/Argentina/Ushuaia")
            )
            await other.commit()

    async with api.runtime.sessions() as session:
        before = json.loads(await reports.payment_discipline_json(session, mia, now) or "")
    async with api.runtime.sessions() as session:
        moved = _MovedBetween(session, move)
        during = json.loads(await reports.payment_discipline_json(moved, mia, now) or "")
    assert "Tokyo Ltd" in {r["client_name"] for r in before}
    assert during == before
