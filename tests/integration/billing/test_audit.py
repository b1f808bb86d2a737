"""The audit trail in billing: a contract, an invoice and a payment as created and each of
their changes, and the corrections (a credit note, a void, a payment reversal, an estimate
patched or rejected) write a row per changed field (actor, reason, request id) in the
change's transaction, read at
``GET /api/v1/{contracts,invoices,payments,estimates}/{id}/audit`` in the entity's scope."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.billing.commands import ReasonIn
from services.billing.handlers.estimates import reject_estimate
from shared.auth import Caller, Role
from tests.integration.billing.helpers import NOW, Api, as_
from tests.support.apps import ADMIN, ADMIN_ID

pytestmark = pytest.mark.integration

LINE = {"description": "Design", "quantity": "2", "unit_price": "100", "tax_rate": "0.2"}


async def trail(api: Api, path: str, headers: dict[str, str]) -> Any:
    response = await api.http.get(f"/api/v1/{path}/audit", headers=headers)
    return response if response.status_code != 200 else response.json()["items"]


def changes(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["field"], r["old"], r["new"]) for r in items]


async def test_each_correction_writes_its_rows_with_actor_and_reason(any_api: Api) -> None:
    api = any_api
    mia = await api.staff("Mia")
    olga = await api.staff("Olga")
    client = await api.client("Acme", mia)
    headers = {**as_(mia), "X-Request-ID": "req-fix-2"}

    invoice = await api.invoice(client, issue={}, headers=as_(mia))  # 120.00
    await api.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes",
        {"amount": "60.00", "reason": "late delivery"},
        headers,
        expect=201,
    )
    rows = (await trail(api, f"invoices/{invoice['id']}", as_(mia)))[-3:]  # after its issue
    assert changes(rows) == [
        ("credited", "0.00", "60.00"),
        ("credit_note", None, rows[1]["new"]),
        ("credit_note_reason", None, "late delivery"),
    ]
    assert rows[1]["new"].startswith("CN-")
    assert {(r["actor_id"], r["request_id"]) for r in rows} == {(mia, "req-fix-2")}
    draft = await api.invoice(client, headers=as_(mia))
    await api.post(f"/api/v1/invoices/{draft['id']}/void", None, headers, expect=200)
    assert changes(await trail(api, f"invoices/{draft['id']}", as_(mia)))[-1:] == [
        ("status", "draft", "void")
    ]

    body = {"client_id": client, "amount": "60.00", "currency": "EUR", "reference": "B-1"}
    payment = await api.post("/api/v1/payments", body, as_(mia), expect=201)
    reversed_ = await api.post(
        f"/api/v1/payments/{payment['id']}/reverse", {"reason": "bounced"}, headers, expect=200
    )
    assert changes(await trail(api, f"payments/{payment['id']}", as_(mia)))[-2:] == [
        ("reversed_at", None, reversed_["reversed_at"]),
        ("reversal_reason", None, "bounced"),
    ]

    estimate = await api.post(
        "/api/v1/estimates",
        {"client_id": client, "title": "Phase 1", "currency": "EUR", "lines": [LINE]},
        as_(mia),
        expect=201,
    )
    path = f"/api/v1/estimates/{estimate['id']}"
    patched = await api.http.patch(path, json={"title": "Phase 1b"}, headers=headers)
    assert patched.status_code == 200, patched.text
    await api.post(f"{path}/reject", {"reason": "too dear"}, headers, expect=200)
    rows = await trail(api, f"estimates/{estimate['id']}", as_(mia))
    assert changes(rows) == [
        ("title", "Phase 1", "Phase 1b"),
        ("status", "draft", "rejected"),
        ("rejected_reason", None, "too dear"),
    ]
    assert {r["actor_id"] for r in rows} == {mia}

    # Scoped like the entity: another manager's trail is 404.
    for entity_path in (
        f"invoices/{invoice['id']}",
        f"payments/{payment['id']}",
        f"estimates/{estimate['id']}",
        f"payments/{uuid.uuid4()}",
    ):
        assert (await trail(api, entity_path, as_(olga))).status_code == 404


async def test_contracts_invoices_and_payments_list_each_change_with_its_author(
    any_api: Api,
) -> None:
    api = any_api
    mia = await api.staff("Mia")
    olga = await api.staff("Olga")
    client = await api.client("Acme", mia)
    headers = {**as_(mia), "X-Request-ID": "req-audit-3"}
    today = NOW.date()
    ends_on = str(today + timedelta(days=365))
    contract = await api.post(
        "/api/v1/contracts",
        {"client_id": client, "number": "C-1", "title": "Support", "starts_on": str(today)}
        | {"ends_on": ends_on, "value": {"amount": "1000", "currency": "EUR"}},
        headers,
        expect=201,
    )
    path = f"/api/v1/contracts/{contract['id']}"
    patched = await api.http.patch(path, json={"title": "Support+"}, headers=ADMIN)
    assert patched.status_code == 200, patched.text
    ended = await api.http.patch(path, json={"status": "terminated"}, headers=headers)
    assert ended.status_code == 200, ended.text
    rows = await trail(api, f"contracts/{contract['id']}", as_(mia))
    assert [(r["field"], r["old"], r["new"], r["actor_id"]) for r in rows[-2:]] == [
        ("title", "Support", "Support+", str(ADMIN_ID)),
        ("status", "active", "terminated", mia),
    ]
    assert ("number", None, "C-1") in changes(rows)
    assert ("value_currency", None, "EUR") in changes(rows)
    assert {r["actor_id"] for r in rows[:-2]} == {mia}
    assert {r["request_id"] for r in rows if r["actor_id"] == mia} == {"req-audit-3"}

    draft = await api.invoice(client, [LINE], headers=headers)  # 2 x 100 + 20 % = 240.00
    created = changes(await trail(api, f"invoices/{draft['id']}", as_(mia)))
    assert ("status", None, "draft") in created and ("total", None, "240") in created
    invoice_path = f"/api/v1/invoices/{draft['id']}"
    one = {**LINE, "quantity": "1"}
    edited = await api.http.patch(invoice_path, json={"lines": [one]}, headers=headers)
    assert edited.status_code == 200, edited.text
    issued = await api.post(f"{invoice_path}/issue", {}, headers, expect=200)
    promised_on = str(today + timedelta(days=3))
    await api.post(f"{invoice_path}/promise", {"promised_on": promised_on}, headers, expect=200)
    payment = await api.post(
        "/api/v1/payments",
        {"client_id": client, "amount": "120.00", "currency": "EUR", "reference": "P-9"},
        headers,
        expect=201,
    )
    rows = (await trail(api, f"invoices/{draft['id']}", as_(mia)))[len(created) :]
    assert [(f, o, n) for f, o, n in changes(rows) if f != "lines"] == [
        ("total", "240", "120"),
        ("status", "draft", "issued"),
        ("number", None, issued["number"]),
        ("issue_date", None, issued["issue_date"]),
        ("due_date", None, issued["due_date"]),
        ("promised_on", None, promised_on),
        ("amount_paid", "0", "120"),
        ("status", "issued", "paid"),
    ]
    assert {(r["actor_id"], r["request_id"]) for r in rows} == {(mia, "req-audit-3")}
    booked = dict(
        (f, n) for f, _, n in changes(await trail(api, f"payments/{payment['id']}", as_(mia)))
    )
    assert (booked["amount"], booked["reference"]) == ("120", "P-9")
    assert [a["invoice_id"] for a in booked["allocations"]] == [draft["id"]]

    # Scoped like the entity: another manager's trail is 404.
    for entity_path in (f"contracts/{contract['id']}", f"invoices/{draft['id']}"):
        assert (await trail(api, entity_path, as_(olga))).status_code == 404


async def test_a_rolled_back_correction_leaves_no_row(any_api: Api) -> None:
    api = any_api
    mia = await api.staff("Mia")
    client = await api.client("Acme", mia)
    estimate = await api.post(
        "/api/v1/estimates",
        {"client_id": client, "title": "Phase 1", "currency": "EUR", "lines": [LINE]},
        as_(mia),
        expect=201,
    )
    caller = Caller(uuid.UUID(mia), Role.MANAGER)
    async with api.runtime.uow() as uow:  # never committed
        await reject_estimate(uow, caller, uuid.UUID(estimate["id"]), ReasonIn(reason="too dear"))
    assert await trail(api, f"estimates/{estimate['id']}", as_(mia)) == []
    shown = await api.http.get(f"/api/v1/estimates/{estimate['id']}", headers=as_(mia))
    assert shown.json()["status"] == "draft"


async def test_what_the_scans_change_is_in_the_trail_by_the_system(any_api: Api) -> None:
    """Payment control (overdue, a dunning step), the contract scan (the notice, an expiry,
    an automatic renewal) and the estimate expiry: rows with ``actor_id`` null."""
    api = any_api
    mia = await api.staff("Mia")
    client = await api.client("Acme", mia)
    today = NOW.date()
    due = today + timedelta(days=3)
    invoice = await api.invoice(client, issue={"due_date": str(due)}, headers=as_(mia))
    term = {"title": "Support", "starts_on": str(today - timedelta(days=300))}
    term |= {"ends_on": str(today + timedelta(days=5)), "renewal_notice_days": 30}
    ending = await api.post(
        "/api/v1/contracts", {**term, "client_id": client, "number": "E"}, expect=201
    )
    renewing = await api.post(
        "/api/v1/contracts",
        {**term, "client_id": client, "number": "R", "auto_renew": True},
        expect=201,
    )
    estimate = await api.post(
        "/api/v1/estimates",
        {"client_id": client, "title": "Phase 1", "currency": "EUR", "lines": [LINE]}
        | {"valid_until": str(today + timedelta(days=2))},
        as_(mia),
        expect=201,
    )
    before = {
        path: len(await trail(api, path, ADMIN))
        for path in (
            f"invoices/{invoice['id']}",
            f"contracts/{ending['id']}",
            f"contracts/{renewing['id']}",
            f"estimates/{estimate['id']}",
        )
    }

    async def by_the_system(path: str) -> list[tuple[Any, ...]]:
        rows = (await trail(api, path, ADMIN))[before[path] :]
        assert {(r["actor_id"], r["request_id"]) for r in rows} <= {(None, None)}, rows
        return changes(rows)

    await api.scan()  # today: the notices of both contracts, the invoice's first step
    notice = [("notice_sent_for", None, term["ends_on"])]
    assert await by_the_system(f"contracts/{ending['id']}") == notice
    assert await by_the_system(f"contracts/{renewing['id']}") == notice
    first = await by_the_system(f"invoices/{invoice['id']}")
    assert [f for f, _, _ in first] == ["dunning_step"]  # a reminder before the due date

    api.clock.set(NOW + timedelta(days=7))  # past the due date, the estimate, the end
    await api.scan()
    await api.scan()  # a second round changes nothing more
    rows = await by_the_system(f"invoices/{invoice['id']}")
    assert rows[0] == first[0] and ("status", "issued", "overdue") in rows[1:]
    assert ("dunning_step", first[0][2], 1) in rows[1:]
    assert len(rows) == len(set(rows))  # each change once, however often the scan runs
    assert (await by_the_system(f"contracts/{ending['id']}"))[1:] == [
        ("status", "active", "expired")
    ]
    renewed = dict((f, (o, n)) for f, o, n in await by_the_system(f"contracts/{renewing['id']}"))
    assert renewed["ends_on"][0] == term["ends_on"] and renewed["ends_on"][1] > term["ends_on"]
    assert renewed["notice_sent_for"] == (term["ends_on"], None)
    assert await by_the_system(f"estimates/{estimate['id']}") == [
        ("expiry_noticed_on", None, str((NOW + timedelta(days=7)).date()))
    ]
