"""Contracts, invoices and payments through the API on the real PostgreSQL (and SQLite where
marked): totals, numbering, the state machine, allocation and credit, idempotent payments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.billing.helpers import Api, as_
from tests.support.apps import ADMIN
from tests.support.problems import field_errors

pytestmark = pytest.mark.integration

LINES = [
    {"description": "Консалтинг", "quantity": "3", "unit_price": "0.335", "tax_rate": "0.20"},
    {"description": "Licence", "quantity": "1", "unit_price": "100", "tax_rate": "0"},
]


async def test_contract_lifecycle(any_api: Api) -> None:
    manager = await any_api.staff("Mia")
    client = await any_api.client("Acme", manager)
    body = {
        "client_id": client,
        "number": "C-1",
        "title": "Support",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "auto_renew": True,
        "renewal_notice_days": 30,
        "payment_terms_days": 14,
        "value": {"amount": "12000", "currency": "EUR"},
        "budget": {"amount": "10000.5", "currency": "EUR"},
    }
    contract = await any_api.post("/api/v1/contracts", body, as_(manager), expect=201)
    assert contract["value"] == {"amount": "12000.00", "currency": "EUR"}
    assert contract["budget"]["amount"] == "10000.50" and contract["status"] == "active"
    again = await any_api.http.post("/api/v1/contracts", json=body, headers=as_(manager))
    assert again.status_code == 409
    backwards = await any_api.http.post(
        "/api/v1/contracts", headers=ADMIN, json={**body, "number": "C-2", "ends_on": "2025-12-31"}
    )
    assert backwards.status_code == 422
    patched = await any_api.http.patch(
        f"/api/v1/contracts/{contract['id']}",
        headers=ADMIN,
        json={"title": "Premium support", "auto_renew": False},
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Premium support"
    renewed = await any_api.post(f"/api/v1/contracts/{contract['id']}/renew", {}, ADMIN, expect=200)
    assert (renewed["starts_on"], renewed["ends_on"], renewed["renewals"]) == (
        "2027-01-01",
        "2027-12-31",
        1,
    )
    assert [e["number"] for e in await any_api.events("orbit.billing.contract.created.v1")] == [
        "C-1"
    ]
    assert (await any_api.events("orbit.billing.contract.renewed.v1"))[0]["automatic"] is False
    listed = (await any_api.http.get("/api/v1/contracts", headers=as_(manager))).json()
    assert [c["number"] for c in listed["items"]] == ["C-1"]


async def test_draft_issue_totals_and_numbers(any_api: Api) -> None:
    manager = await any_api.staff("Mia")
    client = await any_api.client("Acme", manager)
    draft = await any_api.invoice(client, LINES)
    assert (draft["status"], draft["number"]) == ("draft", None)
    assert [(li["net"], li["tax"]) for li in draft["lines"]] == [
        ("1.01", "0.20"),
        ("100.00", "0.00"),
    ]
    assert (draft["subtotal"], draft["tax"], draft["total"]) == ("101.01", "0.20", "101.21")
    # lines stay editable while a draft
    edited = await any_api.http.patch(
        f"/api/v1/invoices/{draft['id']}", headers=ADMIN, json={"lines": LINES[1:]}
    )
    assert edited.json()["total"] == "100.00"
    issued = await any_api.post(
        f"/api/v1/invoices/{draft['id']}/issue", {}, as_(manager), expect=200
    )
    assert issued["number"] == "2026-000001" and issued["status"] == "issued"
    assert (issued["issue_date"], issued["due_date"]) == ("2026-11-23", "2026-12-23")
    frozen = await any_api.http.patch(
        f"/api/v1/invoices/{draft['id']}", headers=ADMIN, json={"lines": LINES}
    )
    assert frozen.status_code == 409
    twice = await any_api.http.post(f"/api/v1/invoices/{draft['id']}/issue", headers=ADMIN)
    assert twice.status_code == 409
    second = await any_api.invoice(
        client, issue={"issue_date": "2026-11-01", "due_date": "2026-11-15"}
    )
    assert second["number"] == "2026-000002"
    assert (second["status"], second["days_overdue"]) == ("overdue", 8)
    jpy = await any_api.invoice(
        client,
        [{"description": "x", "quantity": "1", "unit_price": "999.5", "tax_rate": "0.1"}],
        currency="JPY",
        issue={},
    )
    assert (jpy["subtotal"], jpy["tax"], jpy["total"]) == ("1000", "100", "1100")
    issued_events = await any_api.events("orbit.billing.invoice.issued.v1")
    assert [e["number"] for e in issued_events] == ["2026-000001", "2026-000002", "2026-000003"]
    assert issued_events[0]["account_manager_id"] == manager


async def test_void_rules(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    draft = await any_api.invoice(client)
    assert (await any_api.post(f"/api/v1/invoices/{draft['id']}/void", None, expect=200))[
        "status"
    ] == "void"
    issued = await any_api.invoice(client, issue={})
    await any_api.post(
        "/api/v1/payments", {"client_id": client, "amount": "10.00", "currency": "EUR"}, expect=201
    )
    refused = await any_api.http.post(f"/api/v1/invoices/{issued['id']}/void", headers=ADMIN)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_payments_go_to_the_oldest_then_credit_then_later_invoices(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    newer = await any_api.invoice(client, issue={"issue_date": "2026-11-10"})  # 120.00
    older = await any_api.invoice(client, issue={"issue_date": "2026-11-01"})
    dollars = await any_api.invoice(client, currency="USD", issue={})
    payment = await any_api.post(
        "/api/v1/payments",
        {
            "client_id": client,
            "amount": "150",
            "currency": "EUR",
            "reference": "BANK-1",
            "method": "bank_transfer",
        },
        expect=201,
    )
    assert payment["allocations"] == [
        {"invoice_id": older["id"], "amount": "120.00", "source": "payment"},
        {"invoice_id": newer["id"], "amount": "30.00", "source": "payment"},
    ]
    assert payment["credit"] == "0.00"
    got = (await any_api.http.get(f"/api/v1/invoices/{newer['id']}", headers=ADMIN)).json()
    assert (got["status"], got["amount_paid"], got["balance"]) == (
        "partially_paid",
        "30.00",
        "90.00",
    )
    surplus = await any_api.post(
        "/api/v1/payments",
        {"client_id": client, "amount": "100", "currency": "EUR", "reference": "BANK-2"},
        expect=201,
    )
    assert surplus["credit"] == "10.00"
    paid = (await any_api.http.get(f"/api/v1/invoices/{newer['id']}", headers=ADMIN)).json()
    assert (paid["status"], paid["balance"]) == ("paid", "0.00")
    credit = (await any_api.http.get(f"/api/v1/clients/{client}/credit", headers=ADMIN)).json()
    assert credit["balances"] == [{"amount": "10.00", "currency": "EUR"}]
    later = await any_api.invoice(client, issue={})
    assert (later["amount_paid"], later["balance"], later["status"]) == (
        "10.00",
        "110.00",
        "partially_paid",
    )
    credit = (await any_api.http.get(f"/api/v1/clients/{client}/credit", headers=ADMIN)).json()
    assert credit["balances"] == []
    untouched = (await any_api.http.get(f"/api/v1/invoices/{dollars['id']}", headers=ADMIN)).json()
    assert untouched["amount_paid"] == "0.00"
    paid_events = await any_api.events("orbit.billing.invoice.paid.v1")
    assert [e["invoice_id"] for e in paid_events] == [older["id"], newer["id"]]
    received = await any_api.events("orbit.billing.payment.received.v1")
    assert [r["credit"] for r in received] == ["0.00", "10.00"]


async def test_same_reference_returns_the_first_payment(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    invoice = await any_api.invoice(client, issue={})
    body = {"client_id": client, "amount": "50.00", "currency": "EUR", "reference": "R-7"}
    first = await any_api.http.post("/api/v1/payments", json=body, headers=ADMIN)
    second = await any_api.http.post("/api/v1/payments", json=body, headers=ADMIN)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    other = await any_api.http.post(
        "/api/v1/payments", headers=ADMIN, json={**body, "amount": "60.00"}
    )
    assert other.status_code == 409
    got = (await any_api.http.get(f"/api/v1/invoices/{invoice['id']}", headers=ADMIN)).json()
    assert got["amount_paid"] == "50.00"
    assert len(await any_api.events("orbit.billing.payment.received.v1")) == 1


async def test_idempotency_key_replays_the_status_of_the_first_answer(any_api: Api) -> None:
    """With an Idempotency-Key the replay answers what the first request answered: 201 for
    a payment booked by it, 200 for one that found its (client_id, reference) booked."""
    client = await any_api.client("Acme", None)
    await any_api.invoice(client, issue={})
    body = {"client_id": client, "amount": "50.00", "currency": "EUR", "reference": "R-8"}

    async def post(key: str) -> Any:
        return await any_api.http.post(
            "/api/v1/payments", json=body, headers={**ADMIN, "Idempotency-Key": key}
        )

    booked, booked_again = await post("k-1"), await post("k-1")
    assert (booked.status_code, booked_again.status_code) == (201, 201)
    assert booked_again.headers.get("idempotent-replayed") == "true"
    found, found_again = await post("k-2"), await post("k-2")
    assert (found.status_code, found_again.status_code) == (200, 200)
    assert "idempotent-replayed" not in found.headers
    assert found_again.headers.get("idempotent-replayed") == "true"
    assert booked.json() == booked_again.json() == found.json() == found_again.json()
    assert len(await any_api.events("orbit.billing.payment.received.v1")) == 1


async def test_explicit_allocations_are_checked(any_api: Api) -> None:
    client = await any_api.client("Acme", None)
    eur = await any_api.invoice(client, issue={})
    usd = await any_api.invoice(client, currency="USD", issue={})
    base = {"client_id": client, "amount": "100.00", "currency": "EUR"}
    mismatch = await any_api.http.post(
        "/api/v1/payments",
        headers=ADMIN,
        json={**base, "allocations": [{"invoice_id": usd["id"], "amount": "10.00"}]},
    )
    assert field_errors(mismatch) == {"allocations.0.amount"}
    beyond = await any_api.http.post(
        "/api/v1/payments",
        headers=ADMIN,
        json={
            **base,
            "amount": "500.00",
            "allocations": [{"invoice_id": eur["id"], "amount": "120.01"}],
        },
    )
    assert field_errors(beyond) == {"allocations.0.amount"}
    too_much = await any_api.http.post(
        "/api/v1/payments",
        headers=ADMIN,
        json={**base, "allocations": [{"invoice_id": eur["id"], "amount": "110.00"}]},
    )
    assert field_errors(too_much) == {"allocations"}
    ok = await any_api.post(
        "/api/v1/payments",
        {**base, "allocations": [{"invoice_id": eur["id"], "amount": "40.00"}]},
        expect=201,
    )
    assert ok["credit"] == "60.00"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "-1"}, "lines.0.quantity"),
        ({"quantity": "NaN"}, "lines.0.quantity"),
        ({"unit_price": "Infinity"}, "lines.0.unit_price"),
        ({"unit_price": 1.5}, "lines.0.unit_price"),
        ({"tax_rate": "1"}, "lines.0.tax_rate"),
        ({"tax_rate": "-0.01"}, "lines.0.tax_rate"),
        ({"quantity": "1000000", "unit_price": "10000000"}, "lines.0.quantity"),
        ({"unit_price": "1e400"}, "lines.0.unit_price"),
    ],
)
async def test_bad_lines_are_422(api: Api, line: dict[str, object], field: str) -> None:
    client = await api.client("Acme", None)
    body = {
        "client_id": client,
        "currency": "EUR",
        "lines": [
            {"description": "x", "quantity": "1", "unit_price": "1", "tax_rate": "0", **line}
        ],
    }
    assert field in field_errors(await api.http.post("/api/v1/invoices", headers=ADMIN, json=body))


async def test_bad_money_is_422(api: Api) -> None:
    client = await api.client("Acme", None)
    unknown = await api.http.post(
        "/api/v1/invoices",
        headers=ADMIN,
        json={"client_id": client, "currency": "XYZ", "lines": []},
    )
    assert field_errors(unknown) == {"currency"}
    for amount in ("NaN", "-5", "0", "1.005", "1e13"):
        response = await api.http.post(
            "/api/v1/payments",
            headers=ADMIN,
            json={"client_id": client, "amount": amount, "currency": "EUR"},
        )
        assert field_errors(response) == {"amount"}, amount
    jpy = await api.http.post(
        "/api/v1/payments",
        headers=ADMIN,
        json={"client_id": client, "amount": "10.5", "currency": "JPY"},
    )
    assert field_errors(jpy) == {"amount"}


def pdf_text_codes(document: bytes) -> str:
    """The decompressed streams of a PDF (the ToUnicode maps name each glyph's code point)."""
    import re
    import zlib

    out = []
    for stream in re.findall(rb"stream\n(.*?)endstream", document, re.S):
        try:
            out.append(zlib.decompress(stream.strip()).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "\n".join(out).upper()


async def test_invoice_pdf_renders_cyrillic(api: Api) -> None:
    client = await api.client("ООО Ромашка", None)  # noqa: RUF001 (Cyrillic on purpose)
    invoice = await api.invoice(client, LINES, issue={})
    response = await api.http.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="invoice-2026-000001.pdf"' in response.headers["content-disposition"]
    document = response.content
    assert document.startswith(b"%PDF-") and b"/FontFile2" in document and b"Roboto" in document
    codes = pdf_text_codes(document)
    for letter in "ОРомашкКонсалтиг":  # the Cyrillic letters of the client and the line
        assert f"{ord(letter):04X}" in codes, letter
    missing = await api.http.get(f"/api/v1/invoices/{client}/pdf", headers=ADMIN)
    assert missing.status_code == 404


async def test_dates_at_the_calendars_end_are_422_not_500(api: Api) -> None:
    client = await api.client("Acme", None)
    draft = await api.invoice(client)
    response = await api.http.post(
        f"/api/v1/invoices/{draft['id']}/issue", headers=ADMIN, json={"issue_date": "9999-12-31"}
    )
    assert field_errors(response) == {"issue_date"}
    contract = await api.http.post(
        "/api/v1/contracts",
        headers=ADMIN,
        json={
            "client_id": client,
            "number": "X",
            "title": "T",
            "starts_on": "2026-01-01",
            "ends_on": "9999-12-31",
            "auto_renew": True,
        },
    )
    assert field_errors(contract) == {"ends_on"}
    unknown = await api.http.post(
        "/api/v1/invoices",
        headers=ADMIN,
        json={"client_id": client, "currency": "EUR", "lines": [], "colour": "red"},
    )
    assert field_errors(unknown) == {"colour"}
