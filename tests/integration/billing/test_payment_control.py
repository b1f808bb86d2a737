"""Payment control through the running app and its scans, against the injected clock:
overdue once, the dunning steps once each with escalation, a partial payment not restarting
them, a full payment stopping them, a promise pausing them and, broken, its event; budget
thresholds; estimates to invoices; opportunity stages; contract expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.billing.helpers import NOW, Api, as_
from tests.support.apps import ADMIN, ADMIN_ID
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration


async def days(api: Api, count: int) -> None:
    for _ in range(count):
        api.clock.advance(timedelta(days=1))
        await api.scan()


async def test_overdue_dunning_partial_payment_and_paid(any_api: Api) -> None:
    head = await any_api.staff("Hal", "head")
    manager = await any_api.staff("Mia", department="north", head_id=head)
    contacts = [
        {
            "id": "5b0c1e7e-0000-4000-8000-000000000001",
            "name": "Bill",
            "email": "bill@acme.example",
            "roles": ["billing"],
        }
    ]
    client = await any_api.client("Acme", manager, contacts=contacts)
    invoice = await any_api.invoice(client, issue={"due_date": "2026-11-26"}, headers=as_(manager))
    await any_api.scan()  # 23 Nov: the -3 step is due
    await days(any_api, 4)  # 27 Nov: overdue and step 1
    reminders = await any_api.events("orbit.billing.invoice.payment_reminder_due.v1")
    assert [(r["step"], r["days_overdue"], r["escalate"]) for r in reminders] == [
        (-3, 0, False),
        (1, 1, False),
    ]
    assert reminders[1]["billing_contacts"] == [
        {"contact_id": contacts[0]["id"], "name": "Bill", "email": "bill@acme.example"}
    ]
    overdue = await any_api.events("orbit.billing.invoice.overdue.v1")
    assert len(overdue) == 1
    assert {
        k: overdue[0][k]
        for k in (
            "invoice_id",
            "number",
            "client_id",
            "account_manager_id",
            "account_manager_department",
            "head_id",
            "total",
            "balance",
            "currency",
            "due_date",
            "days_overdue",
        )
    } == {
        "invoice_id": invoice["id"],
        "number": "2026-000001",
        "client_id": client,
        "account_manager_id": manager,
        "account_manager_department": "north",
        "head_id": head,
        "total": "120.00",
        "balance": "120.00",
        "currency": "EUR",
        "due_date": "2026-11-26",
        "days_overdue": 1,
    }
    got = (await any_api.http.get(f"/api/v1/invoices/{invoice['id']}", headers=ADMIN)).json()
    assert (got["status"], got["days_overdue"]) == ("overdue", 1)
    # a partial payment does not restart the schedule
    await any_api.post(
        "/api/v1/payments", {"client_id": client, "amount": "20.00", "currency": "EUR"}, expect=201
    )
    await days(any_api, 14)  # 11 Dec: steps 7 and 14
    reminders = await any_api.events("orbit.billing.invoice.payment_reminder_due.v1")
    assert [(r["step"], r["escalate"], r["balance"]) for r in reminders[2:]] == [
        (7, False, "100.00"),
        (14, True, "100.00"),
    ]
    # paid in full: nothing more
    await any_api.post(
        "/api/v1/payments", {"client_id": client, "amount": "100.00", "currency": "EUR"}, expect=201
    )
    await days(any_api, 30)
    assert len(await any_api.events("orbit.billing.invoice.payment_reminder_due.v1")) == 4
    assert len(await any_api.events("orbit.billing.invoice.overdue.v1")) == 1
    paid = await any_api.events("orbit.billing.invoice.paid.v1")
    assert [p["invoice_id"] for p in paid] == [invoice["id"]]


async def test_promise_pauses_and_broken_emits(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    invoice = await any_api.invoice(
        client, issue={"issue_date": "2026-11-01", "due_date": "2026-11-20"}
    )
    past = await any_api.http.post(
        f"/api/v1/invoices/{invoice['id']}/promise",
        headers=ADMIN,
        json={"promised_on": "2026-11-22"},
    )
    assert field_errors(past) == {"promised_on"}
    promised = await any_api.post(
        f"/api/v1/invoices/{invoice['id']}/promise",
        {"promised_on": "2026-12-05", "note": "after the audit"},
        expect=200,
    )
    assert promised["promise_state"] == "pending"
    await any_api.scan()  # 23 Nov: overdue, but reminders paused (step 1 not sent)
    await days(any_api, 12)  # 5 Dec: still paused
    assert await any_api.events("orbit.billing.invoice.payment_reminder_due.v1") == []
    assert len(await any_api.events("orbit.billing.invoice.overdue.v1")) == 1
    await days(any_api, 1)  # 6 Dec: broken, reminders resume with the latest step (14)
    broken = await any_api.events("orbit.billing.invoice.promise_broken.v1")
    assert [(b["promised_on"], b["promise_note"], b["days_overdue"]) for b in broken] == [
        ("2026-12-05", "after the audit", 16)
    ]
    steps = [
        r["step"] for r in await any_api.events("orbit.billing.invoice.payment_reminder_due.v1")
    ]
    assert steps == [14]
    await days(any_api, 3)
    assert len(await any_api.events("orbit.billing.invoice.promise_broken.v1")) == 1
    got = (await any_api.http.get(f"/api/v1/invoices/{invoice['id']}", headers=ADMIN)).json()
    assert got["promise_state"] == "broken"


async def test_promise_kept(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    invoice = await any_api.invoice(
        client, issue={"due_date": "2026-11-20", "issue_date": "2026-11-01"}
    )
    await any_api.post(
        f"/api/v1/invoices/{invoice['id']}/promise", {"promised_on": "2026-11-25"}, expect=200
    )
    await any_api.post(
        "/api/v1/payments", {"client_id": client, "amount": "120.00", "currency": "EUR"}, expect=201
    )
    await days(any_api, 5)
    got = (await any_api.http.get(f"/api/v1/invoices/{invoice['id']}", headers=ADMIN)).json()
    assert (got["status"], got["promise_state"]) == ("paid", "kept")
    assert await any_api.events("orbit.billing.invoice.promise_broken.v1") == []


async def test_contract_expiring_renewed_expired_in_the_clients_timezone(any_api: Api) -> None:
    tokyo = await any_api.client("Tokyo", None, timezone="Asia/Tokyo")
    body = {
        "title": "Support",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "renewal_notice_days": 30,
    }
    renewing = await any_api.post(
        "/api/v1/contracts",
        {**body, "client_id": tokyo, "number": "R", "auto_renew": True},
        expect=201,
    )
    await any_api.post("/api/v1/contracts", {**body, "client_id": tokyo, "number": "E"}, expect=201)
    any_api.clock.set(NOW.replace(month=11, day=30, hour=14))  # 30 Nov 23:00 in Tokyo
    await any_api.scan()
    assert await any_api.events("orbit.billing.contract.expiring.v1") == []
    any_api.clock.set(NOW.replace(month=11, day=30, hour=15))  # 1 Dec 00:00 in Tokyo
    await any_api.scan()
    await any_api.scan()
    expiring = await any_api.events("orbit.billing.contract.expiring.v1")
    assert sorted((e["number"], e["days_left"]) for e in expiring) == [("E", 30), ("R", 30)]
    any_api.clock.set(NOW.replace(month=12, day=31, hour=15))  # 1 Jan 2027 in Tokyo
    await any_api.scan()
    renewed = await any_api.events("orbit.billing.contract.renewed.v1")
    assert [(r["starts_on"], r["ends_on"], r["automatic"]) for r in renewed] == [
        ("2027-01-01", "2027-12-31", True)
    ]
    expired = await any_api.events("orbit.billing.contract.expired.v1")
    assert [e["number"] for e in expired] == ["E"]
    got = (await any_api.http.get(f"/api/v1/contracts/{renewing['id']}", headers=ADMIN)).json()
    assert (got["status"], got["ends_on"]) == ("active", "2027-12-31")
    await any_api.scan()
    assert len(await any_api.events("orbit.billing.contract.renewed.v1")) == 1


async def test_budget_thresholds_once_each_and_estimates(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    contract = await any_api.post(
        "/api/v1/contracts",
        {
            "client_id": client,
            "number": "B",
            "title": "Project",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "payment_terms_days": 10,
            "budget": {"amount": "1000", "currency": "EUR"},
        },
        expect=201,
    )
    estimate = await any_api.post(
        "/api/v1/estimates",
        {
            "client_id": client,
            "contract_id": contract["id"],
            "title": "Phase 1",
            "currency": "EUR",
            "lines": [
                {"description": "Design", "quantity": "7", "unit_price": "100", "tax_rate": "0.2"}
            ],
        },
        expect=201,
    )
    assert estimate["total"] == "840.00"
    early = await any_api.http.post(f"/api/v1/estimates/{estimate['id']}/invoice", headers=ADMIN)
    assert early.status_code == 409
    await any_api.post(f"/api/v1/estimates/{estimate['id']}/approve", None, expect=200)
    draft = await any_api.post(f"/api/v1/estimates/{estimate['id']}/invoice", None, expect=201)
    assert (draft["status"], draft["total"], draft["contract_id"]) == (
        "draft",
        "840.00",
        contract["id"],
    )
    again = await any_api.http.post(f"/api/v1/estimates/{estimate['id']}/invoice", headers=ADMIN)
    assert again.status_code == 409
    trail = (await any_api.http.get(f"/api/v1/invoices/{draft['id']}/audit", headers=ADMIN)).json()
    assert ("estimate_id", None, estimate["id"]) in [
        (r["field"], r["old"], r["new"]) for r in trail["items"]
    ]
    issued = await any_api.post(f"/api/v1/invoices/{draft['id']}/issue", {}, expect=200)
    assert issued["due_date"] == "2026-12-03"  # the contract's payment terms
    thresholds = await any_api.events("orbit.billing.budget.threshold_reached.v1")
    assert [(t["threshold"], t["invoiced"]) for t in thresholds] == [(80, "840.00")]
    await any_api.invoice(client, contract_id=contract["id"], issue={})
    await any_api.invoice(client, contract_id=contract["id"], issue={})
    thresholds = await any_api.events("orbit.billing.budget.threshold_reached.v1")
    assert [(t["threshold"], t["invoiced"]) for t in thresholds] == [
        (80, "840.00"),
        (100, "1080.00"),
    ]


async def test_opportunity_stages(any_api: Api) -> None:
    manager = await any_api.staff("Mia")
    client = await any_api.client("Acme", manager)
    created = await any_api.post(
        "/api/v1/opportunities",
        {
            "client_id": client,
            "title": "More seats",
            "value": {"amount": "5000", "currency": "EUR"},
        },
        as_(manager),
        expect=201,
    )
    assert (created["stage"], created["owner_id"]) == ("lead", manager)
    path = f"/api/v1/opportunities/{created['id']}"
    lost = await any_api.http.patch(path, headers=ADMIN, json={"stage": "lost"})
    assert field_errors(lost) == {"lost_reason"}
    await any_api.http.patch(path, headers=ADMIN, json={"stage": "proposal"})
    done = await any_api.http.patch(
        path, headers=ADMIN, json={"stage": "lost", "lost_reason": "budget cut"}
    )
    assert done.json()["lost_reason"] == "budget cut"
    closed = await any_api.http.patch(path, headers=ADMIN, json={"stage": "won"})
    assert closed.status_code == 409
    changes = await any_api.events("orbit.billing.opportunity.stage_changed.v1")
    assert [(c["old_stage"], c["new_stage"]) for c in changes] == [
        (None, "lead"),
        ("lead", "proposal"),
        ("proposal", "lost"),
    ]
    trail = (await any_api.http.get(f"{path}/audit", headers=as_(manager))).json()["items"]
    assert ("stage", None, "lead", manager) in [
        (r["field"], r["old"], r["new"], r["actor_id"]) for r in trail
    ]
    assert [(r["field"], r["old"], r["new"], r["actor_id"]) for r in trail][-3:] == [
        ("stage", "lead", "proposal", str(ADMIN_ID)),
        ("stage", "proposal", "lost", str(ADMIN_ID)),
        ("lost_reason", None, "budget cut", str(ADMIN_ID)),
    ]
