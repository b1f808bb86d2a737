"""Corrections in billing, each with a reason in its event (the audit trail): estimates
edited while draft, rejected, expired past ``valid_until``; payments reversed; credit notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.integration.billing.helpers import NOW, Api
from tests.support.apps import ADMIN

LINE = {"description": "Design", "quantity": "2", "unit_price": "100", "tax_rate": "0.2"}


async def _estimate(api: Api, client: str, **extra: Any) -> dict[str, Any]:
    body = {"client_id": client, "title": "Phase 1", "currency": "EUR", "lines": [LINE], **extra}
    return dict(await api.post("/api/v1/estimates", body, expect=201))


async def test_an_estimate_is_edited_while_draft_rejected_with_a_reason_and_expires(
    any_api: Api,
) -> None:
    client = await any_api.client("Acme", None)
    today = NOW.date()
    draft = await _estimate(any_api, client, valid_until=str(today + timedelta(days=7)))
    path = f"/api/v1/estimates/{draft['id']}"
    edited = await any_api.http.patch(
        path, json={"lines": [{**LINE, "quantity": "3"}], "title": "Phase 1b"}, headers=ADMIN
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["total"], edited.json()["title"]) == ("360.00", "Phase 1b")
    rejected = await any_api.post(f"{path}/reject", {"reason": "too dear"}, expect=200)
    assert (rejected["status"], rejected["rejected_reason"]) == ("rejected", "too dear")
    late = await any_api.http.patch(path, json={"title": "x"}, headers=ADMIN)
    assert late.status_code == 409
    assert (await any_api.http.post(f"{path}/approve", headers=ADMIN)).status_code == 409
    assert (
        await any_api.http.post(f"{path}/reject", json={"reason": ""}, headers=ADMIN)
    ).status_code == 422

    # valid_until enforced: past it a draft shows (and lists) as expired and cannot be approved
    old = await _estimate(any_api, client, valid_until=str(today + timedelta(days=1)))
    any_api.clock.advance(timedelta(days=2))
    old_path = f"/api/v1/estimates/{old['id']}"
    shown = (await any_api.http.get(old_path, headers=ADMIN)).json()
    assert shown["status"] == "expired"
    listed = (await any_api.http.get("/api/v1/estimates?status=expired", headers=ADMIN)).json()
    assert [e["id"] for e in listed["items"]] == [old["id"]]
    drafts = (await any_api.http.get("/api/v1/estimates?status=draft", headers=ADMIN)).json()
    assert drafts["items"] == []
    await any_api.scan()
    await any_api.scan()  # once per valid_until
    [expired] = await any_api.events("orbit.billing.estimate.expired.v1")
    assert (expired["estimate_id"], expired["status"]) == (old["id"], "expired")
    refused = await any_api.http.post(f"{old_path}/approve", headers=ADMIN)
    assert refused.status_code == 409 and "expired" in refused.json()["detail"]
    # a later valid_until revives it
    revived = await any_api.http.patch(
        old_path, json={"valid_until": str(today + timedelta(days=30))}, headers=ADMIN
    )
    assert revived.json()["status"] == "draft"
    approved = await any_api.post(f"{old_path}/approve", None, expect=200)
    assert approved["status"] == "approved"
    await any_api.post(f"{old_path}/invoice", None, expect=201)

    events = {
        kind: await any_api.events(f"orbit.billing.estimate.{kind}.v1")
        for kind in ("created", "updated", "approved", "rejected", "invoiced")
    }
    assert len(events["created"]) == 2
    assert [e["changed"] for e in events["updated"]] == [["lines", "title"], ["valid_until"]]
    assert events["rejected"][0]["reason"] == "too dear"
    assert events["rejected"][0]["client_id"] == client
    assert [e["estimate_id"] for e in events["approved"]] == [old["id"]]
    assert events["invoiced"][0]["status"] == "invoiced"


async def _report(api: Api, name: str, **params: str) -> dict[str, Any]:
    return dict(
        (await api.http.get(f"/api/v1/reports/{name}", headers=ADMIN, params=params)).json()
    )


async def test_a_bounced_payment_is_reversed_once_and_the_invoices_and_reports_follow(
    any_api: Api,
) -> None:
    client = await any_api.client("Acme", None)
    today = NOW.date()
    invoice = await any_api.invoice(
        client,
        issue={
            "issue_date": str(today - timedelta(days=20)),
            "due_date": str(today - timedelta(days=5)),
        },
    )
    body = {"client_id": client, "amount": "150.00", "currency": "EUR", "reference": "B-1"}
    payment = await any_api.post("/api/v1/payments", body, expect=201)
    assert payment["credit"] == "30.00"
    paid = (await any_api.http.get(f"/api/v1/invoices/{invoice['id']}", headers=ADMIN)).json()
    assert paid["status"] == "paid"
    month = {"from": str(today.replace(day=1)), "to": str(today)}
    revenue = await _report(any_api, "revenue", **month)
    assert [r["collected"] for r in revenue["rows"]] == ["150.00"]
    discipline = await _report(any_api, "payment-discipline")
    assert discipline["rows"][0]["invoices_paid"] == 1
    assert (await _report(any_api, "aging", as_of=str(today)))["rows"] == []
    assert (await _report(any_api, "aging"))["rows"] == []  # today: what was paid until now

    any_api.clock.advance(timedelta(days=1))
    path = f"/api/v1/payments/{payment['id']}/reverse"
    reversed_ = await any_api.post(path, {"reason": "bounced"}, expect=200)
    assert (reversed_["reversal_reason"], reversed_["reversed_at"] is not None) == ("bounced", True)
    again = await any_api.post(path, {"reason": "twice"}, expect=200)
    assert again == reversed_  # once: nothing reversed twice
    reopened = (await any_api.http.get(f"/api/v1/invoices/{invoice['id']}", headers=ADMIN)).json()
    assert (reopened["status"], reopened["balance"], reopened["paid_on"]) == (
        "overdue",
        "120.00",
        None,
    )
    credit = (await any_api.http.get(f"/api/v1/clients/{client}/credit", headers=ADMIN)).json()
    assert credit["balances"] == []
    [event] = await any_api.events("orbit.billing.payment.reversed.v1")
    assert (event["reason"], event["credit_removed"], event["client_id"]) == (
        "bounced",
        "30.00",
        client,
    )
    assert [(r["invoice_id"], r["amount"], r["status"]) for r in event["reopened"]] == [
        (invoice["id"], "120.00", "overdue")
    ]
    # the reports follow: nothing collected, nothing paid, the invoice open again in the
    # ageing (as of the day before the reversal it was paid)
    revenue = await _report(any_api, "revenue", **month)
    assert [r["collected"] for r in revenue["rows"]] == ["0.00"]
    discipline = await _report(any_api, "payment-discipline")
    assert (discipline["rows"][0]["invoices_paid"], discipline["rows"][0]["overdue_balance"]) == (
        0,
        "120.00",
    )
    aging = await _report(any_api, "aging", as_of=str(today + timedelta(days=1)))
    assert [r["total"] for r in aging["rows"] if r["client_name"] == "Acme"] == ["120.00"]
    assert (await _report(any_api, "aging", as_of=str(today)))["rows"] == []
    now_open = (await _report(any_api, "aging"))["rows"]
    assert [r["total"] for r in now_open if r["client_name"] == "Acme"] == ["120.00"]
    # dunning resumes: the scan finds the invoice overdue and sends what is due
    await any_api.scan()
    assert len(await any_api.events("orbit.billing.invoice.overdue.v1")) == 1
    # the same reference booked again is the reversed payment (a new one takes a new one)
    rebook = await any_api.http.post("/api/v1/payments", json=body, headers=ADMIN)
    assert rebook.status_code == 200 and rebook.json()["reversed_at"] is not None


async def test_credit_notes_take_an_invoice_down_in_their_own_series_and_the_reports_follow(
    any_api: Api,
) -> None:
    client = await any_api.client("Acme", None)
    today = NOW.date()
    invoice = await any_api.invoice(client, issue={})  # 100.00 + 20 % tax
    path = f"/api/v1/invoices/{invoice['id']}/credit-notes"
    first = await any_api.post(path, {"amount": "60.00", "reason": "late delivery"}, expect=201)
    assert (first["number"], first["subtotal"], first["tax"], first["total"]) == (
        f"CN-{today.year}-000001",
        "50.00",
        "10.00",
        "60.00",
    )
    assert (first["applied"], first["to_credit"]) == ("60.00", "0.00")
    aging = await _report(any_api, "aging")  # the credit note settled 60.00 of it
    assert [r["total"] for r in aging["rows"] if r["client_name"] == "Acme"] == ["60.00"]
    shown = (await any_api.http.get(f"/api/v1/invoices/{invoice['id']}", headers=ADMIN)).json()
    assert (shown["balance"], shown["credited"], shown["status"]) == (
        "60.00",
        "60.00",
        "partially_paid",
    )
    too_much = await any_api.http.post(path, json={"amount": "60.01", "reason": "x"}, headers=ADMIN)
    assert too_much.status_code == 422
    both = await any_api.http.post(
        path, json={"amount": "1", "lines": [LINE], "reason": "x"}, headers=ADMIN
    )
    assert both.status_code == 422
    line = {"description": "Refund", "quantity": "1", "unit_price": "50", "tax_rate": "0.2"}
    second = await any_api.post(path, {"lines": [line], "reason": "cancelled"}, expect=201)
    assert second["number"] == f"CN-{today.year}-000002"  # no gap for the refused one
    shown = (await any_api.http.get(f"/api/v1/invoices/{invoice['id']}", headers=ADMIN)).json()
    assert (shown["balance"], shown["status"]) == ("0.00", "paid")
    listed = (await any_api.http.get(path, headers=ADMIN)).json()
    assert [n["number"] for n in listed["items"]] == [first["number"], second["number"]]

    # a paid invoice: the credit becomes the client's credit
    paid = await any_api.invoice(client, issue={})
    payment = {"client_id": client, "amount": "120.00", "currency": "EUR", "reference": "P-1"}
    await any_api.post("/api/v1/payments", payment, expect=201)
    third = await any_api.post(
        f"/api/v1/invoices/{paid['id']}/credit-notes",
        {"amount": "24", "reason": "discount"},
        expect=201,
    )
    assert (third["applied"], third["to_credit"]) == ("0.00", "24.00")
    credit = (await any_api.http.get(f"/api/v1/clients/{client}/credit", headers=ADMIN)).json()
    assert credit["balances"] == [{"amount": "24.00", "currency": "EUR"}]
    draft = await any_api.invoice(client)
    refused = await any_api.http.post(
        f"/api/v1/invoices/{draft['id']}/credit-notes",
        json={"amount": "1", "reason": "x"},
        headers=ADMIN,
    )
    assert refused.status_code == 409

    events = await any_api.events("orbit.billing.invoice.credited.v1")
    assert [
        (e["credit_note_number"], e["applied"], e["to_credit"], e["reason"]) for e in events
    ] == [
        (first["number"], "60.00", "0.00", "late delivery"),
        (second["number"], "60.00", "0.00", "cancelled"),
        (third["number"], "0.00", "24.00", "discount"),
    ]
    # the reports follow: invoiced less the credit notes, nothing open
    month = {"from": str(today.replace(day=1)), "to": str(today)}
    revenue = await _report(any_api, "revenue", **month)
    assert [(r["invoices"], r["invoiced"], r["collected"]) for r in revenue["rows"]] == [
        (2, "96.00", "120.00")
    ]
    ltv = await _report(any_api, "ltv")
    assert [(r["invoiced"], r["open"]) for r in ltv["rows"]] == [("96.00", "0.00")]
    assert (await _report(any_api, "aging", as_of=str(today)))["rows"] == []
