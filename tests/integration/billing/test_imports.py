"""Imports of contracts and invoices as billing runs them (``handlers/imports.py``, asked as
the clients service asks: ``shared.imports``), on SQLite and PostgreSQL: the rows written at
once (new contracts, new invoices that need nothing but their number) leave the same audit
rows and events as the use cases one by one; the numbers stay gap-free and follow the rows
within each year, rows that apply credit or reach a budget threshold among them; a second
run changes nothing; a dry run writes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from services.billing.handlers.imports import import_rows
from services.billing.settings import BillingSettings
from services.billing.store.models import Allocation, Contract, Invoice, InvoiceCounter
from shared.audit import AuditRow
from shared.tables import outbox
from tests.integration.billing.helpers import NOW, Api
from tests.support.apps import ADMIN, ADMIN_ID

pytestmark = pytest.mark.integration

TODAY = NOW.date()
CALLER = {"id": str(ADMIN_ID), "role": "admin", "department": None}


def day(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def row(line: int, client_id: str, **cells: str) -> dict[str, Any]:
    return {"row": line, "client_id": client_id, "cells": cells}


async def run(api: Api, kind: str, rows: list[dict[str, Any]], dry_run: bool = False) -> Any:
    settings = api.runtime.settings
    assert isinstance(settings, BillingSettings)
    asked = {"caller": CALLER, "dry_run": dry_run, "rows": rows}
    return await import_rows(api.runtime.uow, settings, kind, asked)


async def trail(api: Api, entity: str, entity_id: object) -> list[tuple[str, Any, Any]]:
    """The entity's audit rows (field, old, new), oldest first."""
    async with api.runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditRow)
            .where(AuditRow.entity == entity, AuditRow.entity_id == str(entity_id))
            .order_by(AuditRow.id)
        )
        return [(r.field, r.old, r.new) for r in rows]


def without(items: list[tuple[str, Any, Any]], *fields: str) -> list[tuple[str, Any, Any]]:
    return [item for item in items if item[0] not in fields]


async def outbox_rows(api: Api) -> list[tuple[str, dict[str, Any]]]:
    """Every outbox event (type, data), in order."""
    async with api.runtime.sessions() as session:
        rows = await session.execute(
            select(outbox.c.event_type, outbox.c.payload).order_by(outbox.c.seq)
        )
        return [(kind, json.loads(payload)["data"]) for kind, payload in rows]


async def counts(api: Api) -> tuple[int, ...]:
    """Contracts, invoices, audit rows, outbox rows, the counters' sum."""
    async with api.runtime.sessions() as session:
        found = []
        for table in (Contract, Invoice, AuditRow):
            found.append(await session.scalar(select(func.count()).select_from(table)))
        found.append(await session.scalar(select(func.count()).select_from(outbox)))
        found.append(await session.scalar(select(func.sum(InvoiceCounter.last_number))))
        return tuple(int(n or 0) for n in found)


def changed(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


async def test_imported_contracts_are_what_create_contract_writes(any_api: Api) -> None:
    manager = await any_api.staff("Mia", department="north")
    acme = await any_api.client("Acme", manager)
    body = {
        "client_id": acme,
        "number": "API-1",
        "title": "Support",
        "starts_on": day(-100),
        "ends_on": day(265),
        "value": {"amount": "1200.00", "currency": "EUR"},
    }
    made = await any_api.post("/api/v1/contracts", body, expect=201)
    cells = {
        "external_id": "k-1",
        "number": "C-1",
        "title": "Support",
        "starts_on": day(-100),
        "ends_on": day(265),
        "value_amount": "1200.00",
        "value_currency": "EUR",
    }
    rows = [row(1, acme, **cells), row(2, acme, **{**cells, "external_id": "k-2", "number": "C-2"})]
    answer = await run(any_api, "contracts", rows)
    assert answer == {"errors": [], "outcome": {"created": 2, "updated": 0, "unchanged": 0}}
    async with any_api.runtime.sessions() as session:
        imported = {
            c.external_id: c for c in await session.scalars(select(Contract)) if c.external_id
        }
    assert [c.number for c in imported.values()] == ["C-1", "C-2"]
    expected = without(await trail(any_api, "contract", made["id"]), "number")
    assert without(await trail(any_api, "contract", imported["k-1"].id), "number") == expected
    events = [data for kind, data in await outbox_rows(any_api) if "contract.created" in kind]
    assert [e["contract_id"] for e in events[1:]] == [str(imported[k].id) for k in ("k-1", "k-2")]
    assert changed(events[1], "contract_id", "number") == changed(
        events[0], "contract_id", "number"
    )

    # A number taken (by the API's contract, by an earlier row) is refused as the use case
    # refuses it, and nothing of the file is written.
    before = await counts(any_api)
    taken = [
        row(1, acme, **{**cells, "external_id": "k-3", "number": "API-1"}),
        row(2, acme, **{**cells, "external_id": "k-4", "number": "C-9"}),
        row(3, acme, **{**cells, "external_id": "k-5", "number": "C-9"}),
    ]
    answer = await run(any_api, "contracts", taken)
    assert [(e["row"], e["column"]) for e in answer["errors"]] == [(1, "number"), (3, "number")]
    assert "already has a contract numbered" in answer["errors"][0]["reason"]
    assert await counts(any_api) == before
    # The same file again: nothing changes.
    answer = await run(any_api, "contracts", rows)
    assert answer["outcome"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert await counts(any_api) == before


async def test_imported_invoices_are_numbered_in_row_order_without_gaps(any_api: Api) -> None:
    manager = await any_api.staff("Mia", department="north")
    acme = await any_api.client("Acme", manager)
    zeta = await any_api.client("Zeta", manager)  # has credit: its row is issued on its own
    for number, budget in (("C-1", None), ("C-B", {"amount": "1000.00", "currency": "EUR"})):
        body = {
            "client_id": acme,
            "number": number,
            "title": "Support",
            "starts_on": day(-500),
            "ends_on": day(200),
            "budget": budget,
        }
        await any_api.post("/api/v1/contracts", body, expect=201)
    payment = {"client_id": zeta, "amount": "50", "currency": "EUR", "reference": "BANK-1"}
    await any_api.post("/api/v1/payments", payment, expect=201)
    line = {"description": "Invoice OLD-1", "quantity": "1", "unit_price": "100.00"}
    twin = await any_api.invoice(
        acme,
        [{**line, "tax_rate": "0"}],
        issue={"issue_date": day(-40), "due_date": day(-10)},
        contract_id=await contract_numbered(any_api, "C-1"),
    )
    assert twin["number"] == f"{TODAY.year}-000001"

    def invoice(number: int, client_id: str, issued: int, amount: str, **more: str) -> Any:
        cells = {
            "external_id": f"i-{number}",
            "number": f"OLD-{number}",
            "issue_date": day(issued),
            "currency": "EUR",
            "amount": amount,
            **more,
        }
        return row(number, client_id, **cells)

    last_year = (TODAY - timedelta(days=400)).year
    assert last_year == TODAY.year - 1 and (TODAY - timedelta(days=40)).year == TODAY.year
    rows = [
        invoice(1, acme, -40, "100.00", contract_number="C-1", due_date=day(-10)),
        invoice(2, acme, -400, "10.00"),
        invoice(3, zeta, -30, "80.00"),  # zeta's credit applied
        invoice(4, acme, -20, "900.00", contract_number="C-B"),  # 80 % of the budget
        invoice(5, acme, -10, "20.00"),
        invoice(6, acme, -390, "30.00"),
    ]
    before = await counts(any_api)
    dry = await run(any_api, "invoices", rows, dry_run=True)
    assert dry == {"errors": [], "outcome": {"created": 6, "updated": 0, "unchanged": 0}}
    assert await counts(any_api) == before  # a dry run writes nothing, takes no number

    answer = await run(any_api, "invoices", rows)
    assert answer == {"errors": [], "outcome": {"created": 6, "updated": 0, "unchanged": 0}}
    async with any_api.runtime.sessions() as session:
        found = {i.external_id: i for i in await session.scalars(select(Invoice))}
    numbers = {n: found[f"i-{n}"].number for n in range(1, 7)}
    this, last = TODAY.year, last_year
    assert numbers == {
        1: f"{this}-000002",
        2: f"{last}-000001",
        3: f"{this}-000003",
        4: f"{this}-000004",
        5: f"{this}-000005",
        6: f"{last}-000002",
    }
    paid = found["i-3"]
    assert (paid.status, paid.amount_paid) == ("partially_paid", 50)
    assert all(found[f"i-{n}"].status == "issued" for n in (1, 2, 4, 5, 6))
    assert found["i-1"].due_date == date.fromisoformat(day(-10))
    assert found["i-5"].due_date == date.fromisoformat(day(20))  # the default terms

    # Row 1 is the twin made through the API: the same audit rows and event.
    expected = without(await trail(any_api, "invoice", twin["id"]), "number")
    assert without(await trail(any_api, "invoice", found["i-1"].id), "number") == expected
    events = await outbox_rows(any_api)
    issued = [data for kind, data in events if "invoice.issued" in kind]
    ids = {str(found[f"i-{n}"].id): n for n in range(1, 7)}
    assert [ids.get(e["invoice_id"]) for e in issued] == [None, 1, 2, 3, 4, 5, 6]
    assert changed(issued[1], "invoice_id", "number") == changed(issued[0], "invoice_id", "number")
    assert [e["threshold"] for kind, e in events if "budget.threshold" in kind] == [80]
    assert not [e for kind, e in events if "invoice.paid" in kind]

    # The same file again: nothing changes, no number is taken.
    after = await counts(any_api)
    again = await run(any_api, "invoices", rows)
    assert again == {"errors": [], "outcome": {"created": 0, "updated": 0, "unchanged": 6}}
    assert await counts(any_api) == after


async def contract_numbered(api: Api, number: str) -> str:
    listed = (await api.http.get("/api/v1/contracts", headers=ADMIN)).json()["items"]
    return str(next(c["id"] for c in listed if c["number"] == number))


async def test_an_open_invoice_imported_paid_in_part(any_api: Api) -> None:
    acme = await any_api.client("Acme", await any_api.staff("Mia"))
    zeta = await any_api.client("Zeta", None)  # has credit: its row is issued on its own
    payment = {"client_id": zeta, "amount": "50", "currency": "EUR", "reference": "BANK-1"}
    await any_api.post("/api/v1/payments", payment, expect=201)

    def invoice(line: int, client_id: str, issued: int, paid: str, **more: str) -> Any:
        cells = {
            "external_id": f"i-{line}",
            "number": f"OLD-{line}",
            "issue_date": day(issued),
            "currency": "EUR",
            "amount": "100.00",
            "amount_paid": paid,
            **more,
        }
        return row(line, client_id, **cells)

    rows = [
        invoice(1, acme, -10, "30"),
        invoice(2, zeta, -10, "30.00"),  # then zeta's 50.00 of credit
        invoice(3, acme, -60, "10", due_date=day(-30)),  # past due
        invoice(4, acme, -10, "0"),
    ]
    before = await counts(any_api)
    refused = await run(any_api, "invoices", [*rows, invoice(5, acme, -10, "120.00")])
    assert [(e["row"], e["column"]) for e in refused["errors"]] == [(5, "amount_paid")]
    assert "less than the invoice's total, 100.00" in refused["errors"][0]["reason"]
    assert await counts(any_api) == before

    answer = await run(any_api, "invoices", rows)
    assert answer == {"errors": [], "outcome": {"created": 4, "updated": 0, "unchanged": 0}}
    async with any_api.runtime.sessions() as session:
        found = {i.external_id: i for i in await session.scalars(select(Invoice))}
        allocations = (await session.execute(select(Allocation))).scalars().all()
    state = {n: (found[f"i-{n}"].status, found[f"i-{n}"].amount_paid) for n in range(1, 5)}
    assert state == {
        1: ("partially_paid", 30),
        2: ("partially_paid", 80),
        3: ("overdue", 10),
        4: ("issued", 0),
    }
    imported = {(a.invoice_id, a.source, a.amount) for a in allocations}
    assert imported == {
        (found["i-1"].id, "import", 30),
        (found["i-2"].id, "import", 30),
        (found["i-2"].id, "credit", 50),
        (found["i-3"].id, "import", 10),
    }
    shown = (await any_api.http.get(f"/api/v1/invoices/{found['i-1'].id}", headers=ADMIN)).json()
    assert (shown["amount_paid"], shown["balance"]) == ("30.00", "70.00")
    issued = {
        e["invoice_id"]: e
        for kind, e in await outbox_rows(any_api)
        if "invoice.issued" in kind and e["invoice_id"] in {str(i.id) for i in found.values()}
    }
    first = issued[str(found["i-1"].id)]
    assert (first["amount_paid"], first["balance"], first["status"]) == (
        "30.00",
        "70.00",
        "partially_paid",
    )
    assert issued[str(found["i-2"].id)]["amount_paid"] == "30.00"  # the credit came after
    assert ("amount_paid", "0", "30") in [
        (f, str(old), str(new)) for f, old, new in await trail(any_api, "invoice", found["i-1"].id)
    ]
    credit = (await any_api.http.get(f"/api/v1/clients/{zeta}/credit", headers=ADMIN)).json()
    assert credit["balances"] == []
    # Paid in no payment of Orbit's: the payment list has zeta's one payment only.
    listed = (await any_api.http.get("/api/v1/payments", headers=ADMIN)).json()["items"]
    assert [p["reference"] for p in listed] == ["BANK-1"]
