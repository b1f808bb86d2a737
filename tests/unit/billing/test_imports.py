"""The pure rules of contract and invoice imports: a row's cells as the commands' bodies, the
column an error is about, what a known invoice's row changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.billing.commands import ContractIn, ContractPatch, InvoiceIn, IssueIn
from services.billing.domain.imports import (
    amount_paid,
    changed_columns,
    column_of,
    contract_body,
    contract_patch,
    invoice_bodies,
    missing_cells,
    one_per_column,
    row_error,
    same_day,
)
from shared.money import MoneyError

CLIENT = "7f0c2a4e-0000-4000-8000-000000000001"
CONTRACT = "7f0c2a4e-0000-4000-8000-000000000002"


def test_a_contract_row_is_the_body_of_post_contracts() -> None:
    cells = {
        "external_id": "k-1",
        "number": "C-1",
        "title": "Support",
        "starts_on": "2031-01-01",
        "ends_on": "2031-12-31",
        "auto_renew": "yes",
        "value_amount": "1200.00",
        "value_currency": "EUR",
        "budget_currency": "EUR",
    }
    body = contract_body(CLIENT, cells)
    assert body["value"] == {"amount": "1200.00", "currency": "EUR"}
    assert body["budget"] == {"currency": "EUR"}  # the command says the amount is missing
    assert "external_id" not in body
    del body["budget"]
    command = ContractIn.model_validate(body)
    assert command.auto_renew is True and command.value is not None
    patch = contract_patch(cells)
    assert "starts_on" not in patch and "client_id" not in patch
    assert ContractPatch.model_validate({**patch, "budget": None}).title == "Support"


def test_an_invoice_row_is_a_draft_of_one_line_and_its_issue() -> None:
    cells = {"number": "OLD-7", "issue_date": "2031-01-05", "currency": "EUR", "amount": "99.90"}
    draft, issue = invoice_bodies(CLIENT, CONTRACT, cells)
    command = InvoiceIn.model_validate(draft)
    (line,) = command.lines
    assert line.description == "Invoice OLD-7" and line.quantity == 1 and line.tax_rate == 0
    assert line.unit_price == Decimal("99.90") and str(command.contract_id) == CONTRACT
    assert IssueIn.model_validate(issue).issue_date == date(2031, 1, 5)
    described = invoice_bodies(CLIENT, None, {**cells, "description": "Hosting", "tax_rate": "0.2"})
    assert described[0]["lines"][0]["description"] == "Hosting"
    assert "contract_id" not in described[0]
    assert "unit_price" not in invoice_bodies(CLIENT, None, {})[0]["lines"][0]


def test_an_invoice_row_needs_its_number_dates_and_amount() -> None:
    assert [e["column"] for e in missing_cells("invoices", 3, {"currency": "EUR"})] == [
        "number",
        "issue_date",
        "amount",
    ]
    assert missing_cells("contracts", 3, {}) == []


def test_errors_name_the_file_s_columns() -> None:
    assert column_of("contracts", ["body", "value", "currency"]) == "value_currency"
    assert column_of("contracts", ["budget", "amount"]) == "budget_amount"
    assert column_of("contracts", ["value"]) == "value_amount"
    assert column_of("contracts", []) == "ends_on"  # ends_on before starts_on
    assert column_of("invoices", ()) == "due_date"
    assert column_of("invoices", ["lines", 0, "unit_price"]) == "amount"
    assert column_of("invoices", ["lines", 0, "tax_rate"]) == "tax_rate"
    assert column_of("invoices", ["lines"]) == "amount"
    assert column_of("invoices", ["client_id"]) == "client_external_id"
    assert column_of("invoices", ["contract_id"]) == "contract_number"
    assert column_of("invoices", ["body", "currency"]) == "currency"


def test_a_known_invoice_s_row_changes_nothing_or_is_refused() -> None:
    current = {"amount": Decimal("250.00"), "due_date": date(2031, 2, 1), "currency": "EUR"}
    assert changed_columns(current, {"amount": Decimal("250"), "due_date": None}) == []
    assert changed_columns(current, {"amount": Decimal("260"), "currency": "USD"}) == [
        "amount",
        "currency",
    ]


def test_dates_and_one_error_per_column() -> None:
    assert same_day(" 2031-01-05 ", date(2031, 1, 5))
    assert not same_day("05.01.2031", date(2031, 1, 5))
    errors = [row_error(2, "amount", "required"), row_error(2, "amount", "Field required")]
    assert one_per_column([*errors, row_error(2, None, "x")]) == [
        errors[0],
        row_error(2, None, "x"),
    ]


def test_an_open_invoice_may_arrive_paid_in_part() -> None:
    total = Decimal("120.00")
    assert amount_paid({}, total, "EUR") == 0
    assert amount_paid({"amount_paid": " 20.5 "}, total, "EUR") == Decimal("20.5")
    assert amount_paid({"amount_paid": "0"}, total, "EUR") == 0
    assert amount_paid({"amount_paid": "119.99"}, total, "EUR") == Decimal("119.99")
    for cell, why in (
        ("120.00", "less than the invoice's total, 120.00"),  # paid: not an open invoice
        ("500", "less than the invoice's total"),
        ("-1", "at least 0"),
        ("1.005", "decimals"),
        ("ten", "amount_paid"),
    ):
        with pytest.raises(MoneyError, match=why):
            amount_paid({"amount_paid": cell}, total, "EUR")
    with pytest.raises(MoneyError, match="decimals"):
        amount_paid({"amount_paid": "1.5"}, Decimal(1000), "JPY")  # yen have none
