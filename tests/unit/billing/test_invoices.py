"""Line and invoice totals, line checks and the invoice state machine."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.invoices import (
    DRAFT,
    ISSUED,
    OPEN,
    OVERDUE,
    PAID,
    PARTIALLY_PAID,
    STATUSES,
    VOID,
    IllegalTransition,
    InvoiceStatus,
    Line,
    LineError,
    balance,
    check_issue,
    check_line,
    check_lines,
    check_void,
    days_overdue,
    effective_status,
    invoice_number,
    invoice_totals,
    line_totals,
    status_after_payment,
)
from shared.money import round_money

D = Decimal


def line(q: str, p: str, t: str = "0") -> Line:
    return Line("x", D(q), D(p), D(t))


def test_each_line_is_rounded_then_summed_eur() -> None:
    # 3 x 0.335 = 1.005 -> 1.01 net; tax 20 % of 1.01 = 0.202 -> 0.20
    lines = [line("3", "0.335", "0.20"), line("1", "0.005", "0.20")]
    assert line_totals(lines[0], "EUR").net == D("1.01")
    assert line_totals(lines[0], "EUR").tax == D("0.20")
    totals = invoice_totals(lines, "EUR")
    # second line: net 0.01 (0.005 half-up), tax 0.002 -> 0.00
    assert (totals.subtotal, totals.tax, totals.total) == (D("1.02"), D("0.20"), D("1.22"))


def test_jpy_has_no_minor_unit() -> None:
    totals = invoice_totals([line("1", "999.5", "0.10"), line("2", "150", "0.08")], "JPY")
    # 999.5 -> 1000, tax 100; 300, tax 24
    assert (totals.subtotal, totals.tax, totals.total) == (D("1300"), D("124"), D("1424"))


def test_kwd_has_three_places() -> None:
    totals = invoice_totals([line("1", "10.0005", "0.05")], "KWD")
    assert (totals.subtotal, totals.tax) == (D("10.001"), D("0.500"))


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (line("-1", "10"), "quantity"),
        (line("1", "-10"), "unit_price"),
        (line("1", "10", "1"), "tax_rate"),
        (line("1", "10", "-0.1"), "tax_rate"),
        (Line("x", D("NaN"), D("1"), D("0")), "quantity"),
        (Line("x", D("1"), D("Infinity"), D("0")), "unit_price"),
        (line("1000000000", "1000000"), "quantity"),  # a line total beyond 10^12
    ],
)
def test_bad_lines_are_refused_naming_the_field(bad: Line, field: str) -> None:
    with pytest.raises(LineError) as caught:
        check_line(2, bad, "EUR")
    assert (caught.value.index, caught.value.field) == (2, field)


def test_an_invoice_total_beyond_the_bound_is_refused() -> None:
    with pytest.raises(LineError):
        check_lines([line("1000", "600000000")] * 2, "EUR")


amounts = st.decimals(min_value=0, max_value=100000, places=4, allow_nan=False)
rates = st.sampled_from([D("0"), D("0.05"), D("0.07"), D("0.2"), D("0.19"), D("0.125")])


@given(
    st.lists(st.tuples(amounts, amounts, rates), min_size=1, max_size=20),
    st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_invoice_total_is_the_sum_of_rounded_lines(
    raw: list[tuple[Decimal, Decimal, Decimal]], currency: str
) -> None:
    lines = [Line("x", q, p, t) for q, p, t in raw]
    totals = invoice_totals(lines, currency)
    assert totals.total == totals.subtotal + totals.tax
    assert totals.subtotal == sum(round_money(q * p, currency) for q, p, _ in raw)
    for amount in (totals.subtotal, totals.tax):
        assert round_money(amount, currency) == amount


def test_state_machine() -> None:
    check_issue("draft", 1)
    with pytest.raises(IllegalTransition):
        check_issue("issued", 1)
    with pytest.raises(IllegalTransition):
        check_issue("draft", 0)
    check_void("draft", D(0))
    check_void("issued", D(0))
    check_void("overdue", D(0))
    for status, paid in (
        ("paid", D(10)),
        ("partially_paid", D(1)),
        ("overdue", D(1)),
        ("void", D(0)),
    ):
        with pytest.raises(IllegalTransition):
            check_void(status, paid)


def test_status_after_payment_and_overdue() -> None:
    due, before, after = date(2026, 11, 30), date(2026, 11, 29), date(2026, 12, 1)
    assert status_after_payment(D(100), D(100), due, after) == "paid"
    assert status_after_payment(D(100), D(40), due, before) == "partially_paid"
    assert status_after_payment(D(100), D(40), due, after) == "overdue"
    assert status_after_payment(D(100), D(0), due, before) == "issued"
    assert effective_status("issued", D(5), due, after) == "overdue"
    assert effective_status("issued", D(5), due, due) == "issued"  # due today: not yet
    assert effective_status("paid", D(0), due, after) == "paid"
    assert days_overdue("overdue", D(5), due, date(2026, 12, 31)) == 31
    assert days_overdue("paid", D(0), due, date(2026, 12, 31)) == 0
    assert invoice_number(2026, 42) == "2026-000042"


def test_the_balance_is_what_is_left_to_pay() -> None:
    owed = SimpleNamespace(total=D("119.00"), amount_paid=D("19.00"))
    assert balance(owed) == D("100.00")
    assert balance(SimpleNamespace(total=D("50"), amount_paid=D("50"))) == 0


def test_the_statuses_are_one_value_set() -> None:
    """The constants the rules use are the value set the API and the events take."""
    assert get_args(InvoiceStatus) == STATUSES
    assert (DRAFT, ISSUED, PARTIALLY_PAID, PAID, OVERDUE, VOID) == STATUSES
    assert set(OPEN) < set(STATUSES)
