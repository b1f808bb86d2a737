"""Each correction followed through the reports, every service in one process (``orbit
run``: the in-process bus; SQLite and PostgreSQL) on a clock the test holds: a request closed
as spam, a meeting retracted, feedback withdrawn, a payment reversed and a credit note, then
the head's scorecard (``/reports/scorecard``), the services' own reports and the client's
timeline and summary, before and after."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.clock import FixedClock
from tests.integration.shared.test_policies_at_run_time import Orbit, embedded_orbit
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def orbit(request: pytest.FixtureRequest, tmp_path_factory: Any) -> AsyncIterator[Orbit]:
    # noon of today (UTC): everything of the test falls on one day
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    async with embedded_orbit(
        request.param, tmp_path_factory, "corrections", FixedClock(noon)
    ) as o:
        yield o


async def shows(read: Callable[[], Awaitable[Any]], wanted: Any) -> None:
    """``read`` returns ``wanted`` once the projections caught up."""
    last: list[Any] = [None]

    async def probe() -> bool:
        last[0] = await read()
        return bool(last[0] == wanted)

    try:
        await eventually(probe, what=str(wanted))
    except AssertionError:
        assert last[0] == wanted  # what did not follow
        raise


KPIS = (
    ("requests", None),
    ("answered_on_time", None),
    ("meetings", None),
    ("nps_responses", None),
    ("nps", None),
    ("revenue_invoiced", "EUR"),
    ("revenue_collected", "EUR"),
)


async def test_each_correction_is_followed_through_the_reports(orbit: Orbit) -> None:
    head, as_mia, client = await orbit.team("fix")
    now = orbit.clock.now()
    today = str(now.date())

    async def log(minutes: int, **body: Any) -> dict[str, Any]:
        body = {"client_id": client, "type": "email", "direction": "inbound", **body}
        body["occurred_at"] = (now - timedelta(minutes=minutes)).isoformat()
        return dict(await orbit.post("/api/v1/interactions", body, as_mia))

    spam = await log(30, requires_response=True, subject="Cheap watches")
    asked = await log(20, requires_response=True, subject="A question")
    await log(10, direction="outbound", responds_to=asked["id"])
    meeting = await log(60, type="meeting", direction="outbound")
    call = await log(5, type="call", direction="outbound")  # the last contact
    feedback = []
    for score in (10, 3):
        orbit.clock.advance(timedelta(minutes=1))  # the 3 is the last score
        body = {"client_id": client, "kind": "nps", "score": score}
        feedback.append(await orbit.post("/api/v1/feedback", body, as_mia))
    line = {"description": "Work", "quantity": "1", "unit_price": "1000", "tax_rate": "0"}
    draft = await orbit.post(
        "/api/v1/invoices", {"client_id": client, "currency": "EUR", "lines": [line]}, as_mia
    )
    issue = {"issue_date": today, "due_date": str(now.date() + timedelta(days=14))}
    invoice = await orbit.post(f"/api/v1/invoices/{draft['id']}/issue", issue, as_mia)
    payment = await orbit.post(
        "/api/v1/payments",
        {"client_id": client, "amount": "1000.00", "currency": "EUR", "reference": "SEPA-9"},
        as_mia,
    )

    async def scorecard() -> dict[tuple[str, str | None], Any] | None:
        response = await orbit.http.get(
            "/api/v1/reports/scorecard", headers=head, params={"period": "day", "date": today}
        )
        if response.status_code != 200:
            return None  # the head has not reached notifications yet
        rows = {
            (r["kpi"], r["currency"]): r["current"]
            for r in response.json()["rows"]
            if r["level"] == "manager" and r["manager"] == "M"
        }
        return {k: rows.get(k) for k in KPIS}

    async def glance() -> dict[str, Any]:
        """The client's summary and what its timeline shows of the corrected things."""
        path = f"/api/v1/clients/{client}"
        summary = (await orbit.http.get(f"{path}/summary", headers=head)).json()
        entries = (await orbit.http.get(f"{path}/timeline", headers=head)).json()["items"]
        shown = {e["id"]: e for e in entries}
        empty: dict[str, Any] = {"title": None, "details": {}}
        return {
            "open_requests": summary["open_requests"],
            "last_contact": summary["last_contact_at"]
            and datetime.fromisoformat(summary["last_contact_at"]),
            "outstanding": summary["outstanding"],
            "last_nps": (summary["last_nps"] or {}).get("score"),
            "spam": shown.get(spam["request_id"], empty)["details"].get("sla"),
            "meeting": shown.get(meeting["id"], empty)["title"],
            "payment": shown.get(payment["id"], empty)["title"],
            "credit_note": shown.get(invoice["id"], empty)["details"].get("credit_note"),
        }

    async def report(name: str, **params: str) -> dict[str, Any]:
        response = await orbit.http.get(f"/api/v1/reports/{name}", headers=head, params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def own_reports() -> dict[str, Any]:
        """What the services' own reports say of the corrected things."""
        sla, feedback = await report("sla"), await report("feedback")
        activity = (await report("activity"))["items"]
        ltv = (await report("ltv"))["rows"]
        discipline = (await report("payment-discipline"))["rows"]
        return {
            "sla": (sla["requests"], sla["answered_on_time"], sla["closed"]),
            "nps_responses": feedback["nps_responses"],
            "meetings": [(a["interactions"], a["meetings"]) for a in activity],
            "revenue": [(r["invoiced"], r["collected"]) for r in (await report("revenue"))["rows"]],
            "ltv": [(r["invoiced"], r["collected"], r["open"]) for r in ltv],
            "aging": [r["total"] for r in (await report("aging"))["rows"] if r["client_id"]],
            "paid": [r["invoices_paid"] for r in discipline],
        }

    await shows(
        scorecard,
        {
            ("requests", None): 2,
            ("answered_on_time", None): 1,
            ("meetings", None): 1,
            ("nps_responses", None): 2,
            ("nps", None): "0.0",
            ("revenue_invoiced", "EUR"): "1000.00",
            ("revenue_collected", "EUR"): "1000.00",
        },
    )
    await shows(
        glance,
        {
            "open_requests": 1,
            "last_contact": now - timedelta(minutes=5),
            "outstanding": [],  # paid
            "last_nps": 3,
            "spam": "on_track",
            "meeting": "Meeting (outbound)",
            "payment": "Payment 1000.00 EUR",
            "credit_note": None,
        },
    )
    assert await own_reports() == {
        "sla": (2, 1, {}),
        "nps_responses": 2,
        "meetings": [(5, 1)],
        "revenue": [("1000.00", "1000.00")],
        "ltv": [("1000.00", "1000.00", "0.00")],
        "aging": [],
        "paid": [1],
    }

    # the corrections
    why = {"reason": "entered by mistake"}
    await orbit.post(
        f"/api/v1/requests/{spam['request_id']}/close", {"reason": "spam", "code": "spam"}, as_mia
    )
    for retracted in (meeting, call):
        await orbit.post(f"/api/v1/interactions/{retracted['id']}/retract", why, as_mia)
    await orbit.post(f"/api/v1/feedback/{feedback[1]['id']}/withdraw", why, as_mia)
    await orbit.post(f"/api/v1/payments/{payment['id']}/reverse", {"reason": "bounced"}, as_mia)
    credit_note = await orbit.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes",
        {"amount": "100.00", "reason": "late delivery"},
        as_mia,
    )

    await shows(
        scorecard,
        {
            ("requests", None): 1,
            ("answered_on_time", None): 1,
            ("meetings", None): 0,
            ("nps_responses", None): 1,
            ("nps", None): "100.0",
            ("revenue_invoiced", "EUR"): "900.00",
            ("revenue_collected", "EUR"): None,  # nothing collected: no row
        },
    )
    await shows(
        glance,
        {
            "open_requests": 0,
            "last_contact": now - timedelta(minutes=10),  # the reply: the call was retracted
            "outstanding": [{"currency": "EUR", "amount": "900.00"}],
            "last_nps": 10,
            "spam": "closed",
            "meeting": "Meeting (outbound) (retracted)",
            "payment": "Payment 1000.00 EUR (reversed)",
            "credit_note": {
                "credit_note_number": credit_note["number"],
                "credit_total": "100.00",
                "applied": "100.00",
                "to_credit": "0.00",
                "reason": "late delivery",
            },
        },
    )
    assert await own_reports() == {
        "sla": (1, 1, {"spam": 1}),  # out of the figures, with its code
        "nps_responses": 1,
        "meetings": [(3, 0)],  # the retracted meeting and call left out
        "revenue": [("900.00", "0.00")],
        "ltv": [("900.00", "0.00", "900.00")],
        "aging": ["900.00"],
        "paid": [0],
    }


async def test_a_partial_payment_lowers_the_summarys_outstanding_and_its_reversal_raises_it(
    orbit: Orbit,
) -> None:
    """``payment.received`` carries each allocated invoice's balance after it: the client's
    summary follows a partial payment (no ``invoice.*`` event tells it) and its reversal."""
    head, as_mia, client = await orbit.team("part")
    now = orbit.clock.now()
    line = {"description": "Work", "quantity": "1", "unit_price": "1000", "tax_rate": "0"}
    draft = await orbit.post(
        "/api/v1/invoices", {"client_id": client, "currency": "EUR", "lines": [line]}, as_mia
    )
    issue = {"issue_date": str(now.date()), "due_date": str(now.date() + timedelta(days=14))}
    await orbit.post(f"/api/v1/invoices/{draft['id']}/issue", issue, as_mia)

    async def outstanding() -> Any:
        response = await orbit.http.get(f"/api/v1/clients/{client}/summary", headers=head)
        return response.json().get("outstanding") if response.status_code == 200 else None

    await shows(outstanding, [{"currency": "EUR", "amount": "1000.00"}])
    orbit.clock.advance(timedelta(minutes=1))
    payment = await orbit.post(
        "/api/v1/payments",
        {"client_id": client, "amount": "400.00", "currency": "EUR", "reference": "PART-1"},
        as_mia,
    )
    await shows(outstanding, [{"currency": "EUR", "amount": "600.00"}])
    [received] = [
        e
        for e in await orbit.events("billing", "orbit.billing.payment.received.v1")
        if e["payment_id"] == payment["id"]
    ]
    assert [(a["amount"], a["balance"], a["status"]) for a in received["allocations"]] == [
        ("400.00", "600.00", "partially_paid")
    ]
    orbit.clock.advance(timedelta(minutes=1))
    await orbit.post(f"/api/v1/payments/{payment['id']}/reverse", {"reason": "bounced"}, as_mia)
    await shows(outstanding, [{"currency": "EUR", "amount": "1000.00"}])
