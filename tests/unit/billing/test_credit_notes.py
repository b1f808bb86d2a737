"""Credit notes: only against an issued or paid invoice, never more than is left to credit,
the balance first then the client's credit, an amount's tax as the invoice's."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.billing.domain.credit_notes import (
    CreditNoteError,
    Split,
    amount_totals,
    check_credit,
    credit_note_number,
    split,
)
from services.billing.domain.invoices import Totals

D = Decimal


@pytest.mark.parametrize("status", ["issued", "partially_paid", "overdue", "paid"])
def test_an_issued_or_paid_invoice_takes_a_credit_note(status: str) -> None:
    check_credit(status, D(120), D(60), D(60))


@pytest.mark.parametrize("status", ["draft", "void"])
def test_a_draft_or_void_one_is_a_conflict(status: str) -> None:
    with pytest.raises(CreditNoteError) as caught:
        check_credit(status, D(120), D(0), D(1))
    assert caught.value.conflict


@pytest.mark.parametrize(("credited", "amount"), [(D(60), D("60.01")), (D(0), D(0))])
def test_never_more_than_is_left_nor_nothing(credited: Decimal, amount: Decimal) -> None:
    with pytest.raises(CreditNoteError) as caught:
        check_credit("issued", D(120), credited, amount)
    assert not caught.value.conflict


def test_the_balance_first_then_the_clients_credit() -> None:
    assert split(D(60), D(100)) == Split(D(60), D(0))
    assert split(D(60), D(20)) == Split(D(20), D(40))
    assert split(D(60), D(0)) == Split(D(0), D(60))


def test_an_amounts_tax_as_the_invoices_and_the_number() -> None:
    assert amount_totals(D(60), D(100), D(20), "EUR") == Totals(D("50.00"), D("10.00"), D(60))
    assert amount_totals(D(7), D(7), D(0), "JPY") == Totals(D(7), D(0), D(7))
    assert credit_note_number(2026, 42) == "CN-2026-000042"
