"""Allocation of payments: oldest open invoices first, explicit allocations checked, the rest
credit; money is never created or lost."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.allocation import (
    AllocationError,
    OpenInvoice,
    ReversalError,
    allocate_explicit,
    allocate_oldest,
    check_reversal,
    credit_to_apply,
)

D = Decimal
START = date(2026, 1, 1)


def inv(days: int, balance: str, currency: str = "EUR", number: str = "") -> OpenInvoice:
    return OpenInvoice(
        uuid.uuid4(),
        currency,
        D(balance),
        START + timedelta(days=days),
        number or f"2026-{days:06d}",
    )


def test_oldest_first_then_credit() -> None:
    newer, older, dollars = inv(10, "50"), inv(1, "30"), inv(0, "999", "USD")
    split = allocate_oldest(D("100"), "EUR", [newer, older, dollars])
    assert [(a.invoice_id, a.amount) for a in split.allocations] == [
        (older.id, D("30")),
        (newer.id, D("50")),
    ]
    assert split.credit == D("20")


def test_partial_payment_stops_at_the_money() -> None:
    a, b = inv(1, "30"), inv(2, "50")
    split = allocate_oldest(D("40"), "EUR", [a, b])
    assert [(x.invoice_id, x.amount) for x in split.allocations] == [
        (a.id, D("30")),
        (b.id, D("10")),
    ]
    assert split.credit == 0


def test_explicit_allocations_are_checked() -> None:
    a, b, usd = inv(1, "30"), inv(2, "50"), inv(3, "10", "USD")
    split = allocate_explicit(D("60"), "EUR", [a, b, usd], [(b.id, D("50"))])
    assert split.credit == D("10")
    with pytest.raises(AllocationError, match="balance"):
        allocate_explicit(D("60"), "EUR", [a, b], [(a.id, D("31"))])
    with pytest.raises(AllocationError, match="balance"):  # twice the same invoice
        allocate_explicit(D("60"), "EUR", [a, b], [(a.id, D("20")), (a.id, D("20"))])
    with pytest.raises(AllocationError, match="USD"):
        allocate_explicit(D("60"), "EUR", [a, usd], [(usd.id, D("5"))])
    with pytest.raises(AllocationError, match="exceed"):
        allocate_explicit(D("40"), "EUR", [a, b], [(a.id, D("30")), (b.id, D("20"))])
    with pytest.raises(AllocationError, match="open invoice"):
        allocate_explicit(D("40"), "EUR", [a], [(uuid.uuid4(), D("1"))])


def test_credit_to_apply() -> None:
    assert credit_to_apply(D("20"), D("50")) == D("20")
    assert credit_to_apply(D("80"), D("50")) == D("50")
    assert credit_to_apply(D("0"), D("50")) == D("0")


cents = st.integers(min_value=1, max_value=10**9).map(lambda c: D(c) / 100)


@given(
    cents,
    st.lists(
        st.tuples(st.integers(0, 400), cents, st.sampled_from(["EUR", "EUR", "USD"])), max_size=15
    ),
)
def test_money_is_never_created_or_lost(
    amount: Decimal, raw: list[tuple[int, Decimal, str]]
) -> None:
    invoices = [inv(days, str(balance), currency) for days, balance, currency in raw]
    split = allocate_oldest(amount, "EUR", invoices)
    assert amount == sum(a.amount for a in split.allocations) + split.credit
    assert split.credit >= 0
    by_id = {i.id: i for i in invoices}
    for allocation in split.allocations:
        invoice = by_id[allocation.invoice_id]
        assert invoice.currency == "EUR"
        assert 0 < allocation.amount <= invoice.balance
    # credit only when every open EUR invoice is settled
    if split.credit > 0:
        settled = {
            a.invoice_id for a in split.allocations if a.amount == by_id[a.invoice_id].balance
        }
        assert all(i.id in settled for i in invoices if i.currency == "EUR" and i.balance > 0)


@given(cents, st.lists(cents, min_size=1, max_size=8), st.data())
def test_explicit_split_conserves_money(
    amount: Decimal, balances: list[Decimal], data: st.DataObject
) -> None:
    invoices = [inv(i, str(b)) for i, b in enumerate(balances)]
    wanted = [
        (i.id, data.draw(st.integers(1, int(i.balance * 100)).map(lambda c: D(c) / 100)))
        for i in invoices
    ]
    try:
        split = allocate_explicit(amount, "EUR", invoices, wanted)
    except AllocationError:
        assert sum(w for _, w in wanted) > amount
        return
    assert amount == sum(a.amount for a in split.allocations) + split.credit


def test_a_reversal_needs_the_payments_surplus_still_in_credit() -> None:
    check_reversal(Decimal("30"), Decimal("30"), "EUR")
    check_reversal(Decimal(0), Decimal(0), "EUR")
    with pytest.raises(ReversalError, match="only 10 EUR"):
        check_reversal(Decimal("30"), Decimal("10"), "EUR")
