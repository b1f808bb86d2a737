"""Each correction followed through the reports, every service in one process (``orbit
run``: the in-process bus; SQLite and PostgreSQL) on a clock the test holds: a request closed
as spam, a meeting retracted, feedback withdrawn, a payment reversed and a credit note, then
the head's scorecard (``/reports/scorecard``), the services' own reports and the client's
timeline and summary, before and after."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
    feedback = [
        await orbit.post(
            "/api/v1/feedback", {"client_id": client, "kind": "nps", "score": score}, as_mia
        )
        for score in (10, 3)
    ]
    line = {"description": "Work", "quantity": "1", "unit_price": "1000", "tax_rate": "0"}
    draft = await orbit.post(
        "/api/v1/invoices", {"client_id": client, "currency": "EUR", "lines": [line]}, as_mia
    )
    issue = {"issue_date": today, "due_date": str(now.date() + timedelta(days=14))}
    invoice = await orbit.post(f"/api/v1/invoices/{draft['id']}/issue", issue, as_mia)
    payment = await orbit.post(
        "/api/v1/payments",
        {"client_id": client, "amount": "400.00", "currency": "EUR", "reference": "SEPA-9"},
        as_mia,
    )

    async def scorecard(wanted: dict[tuple[str, str | None], Any]) -> None:
        last: dict[tuple[str, str | None], Any] = {}

        async def shown() -> dict[tuple[str, str | None], Any] | None:
            response = await orbit.http.get(
                "/api/v1/reports/scorecard",
                headers=head,
                params={"period": "day", "date": today},
            )
            if response.status_code != 200:
                return None  # the head has not reached notifications yet
            rows = {
                (r["kpi"], r["currency"]): r["current"]
                for r in response.json()["rows"]
                if r["level"] == "manager" and r["manager"] == "M"
            }
            last.update({k: rows.get(k) for k in KPIS})
            return last if last == wanted else None

        try:
            await eventually(shown, what="the scorecard")
        except AssertionError:
            assert last == wanted  # which KPI did not follow
            raise

    async def report(name: str, **params: str) -> dict[str, Any]:
        response = await orbit.http.get(f"/api/v1/reports/{name}", headers=head, params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    await scorecard(
        {
            ("requests", None): 2,
            ("answered_on_time", None): 1,
            ("meetings", None): 1,
            ("nps_responses", None): 2,
            ("nps", None): "0.0",
            ("revenue_invoiced", "EUR"): "1000.00",
            ("revenue_collected", "EUR"): "400.00",
        }
    )
    sla = await report("sla")
    assert (sla["requests"], sla["answered_on_time"]) == (2, 1)
    assert (await report("feedback"))["nps_responses"] == 2
    month = {"from": str(now.date().replace(day=1)), "to": today}
    revenue = await report("revenue", **month)
    assert [(r["invoiced"], r["collected"]) for r in revenue["rows"]] == [("1000.00", "400.00")]

    # the corrections
    why = {"reason": "entered by mistake"}
    await orbit.post(
        f"/api/v1/requests/{spam['request_id']}/close", {"reason": "spam", "code": "spam"}, as_mia
    )
    await orbit.post(f"/api/v1/interactions/{meeting['id']}/retract", why, as_mia)
    await orbit.post(f"/api/v1/feedback/{feedback[1]['id']}/withdraw", why, as_mia)
    await orbit.post(f"/api/v1/payments/{payment['id']}/reverse", {"reason": "bounced"}, as_mia)
    await orbit.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes",
        {"amount": "100.00", "reason": "late delivery"},
        as_mia,
    )

    await scorecard(
        {
            ("requests", None): 1,
            ("answered_on_time", None): 1,
            ("meetings", None): 0,
            ("nps_responses", None): 1,
            ("nps", None): "100.0",
            ("revenue_invoiced", "EUR"): "900.00",
            ("revenue_collected", "EUR"): None,  # nothing collected: no row
        }
    )
    sla = await report("sla")
    assert (sla["requests"], sla["answered_on_time"]) == (1, 1)
    assert (await report("feedback"))["nps_responses"] == 1
    revenue = await report("revenue", **month)
    assert [(r["invoiced"], r["collected"]) for r in revenue["rows"]] == [("900.00", "0.00")]
    aging = await report("aging")
    assert [r["total"] for r in aging["rows"] if r["client_name"] == "Acme"] == ["900.00"]
