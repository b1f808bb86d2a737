"""Where a payment's money goes: to invoices (explicitly, or to the oldest open ones in the
payment's currency) and the rest to the client's credit. Money is never created or lost:
``amount == sum(allocations) + credit``, no invoice gets more than its balance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class AllocationError(ValueError):
    """An explicit allocation that cannot be made (a 422); ``index`` names the allocation."""

    def __init__(self, index: int | None, msg: str) -> None:
        super().__init__(msg)
        self.index, self.msg = index, msg


@dataclass(frozen=True)
class OpenInvoice:
    id: uuid.UUID
    currency: str
    balance: Decimal
    issue_date: date
    number: str


@dataclass(frozen=True)
class Allocation:
    invoice_id: uuid.UUID
    amount: Decimal


@dataclass(frozen=True)
class Split:
    allocations: tuple[Allocation, ...]
    credit: Decimal


def oldest_first(invoices: Sequence[OpenInvoice]) -> list[OpenInvoice]:
    return sorted(invoices, key=lambda i: (i.issue_date, i.number, str(i.id)))


def allocate_oldest(amount: Decimal, currency: str, invoices: Sequence[OpenInvoice]) -> Split:
    """``amount`` over the open invoices in ``currency``, oldest first; the rest is credit."""
    left = amount
    made: list[Allocation] = []
    for invoice in oldest_first([i for i in invoices if i.currency == currency]):
        if left <= 0:
            break
        share = min(left, invoice.balance)
        if share > 0:
            made.append(Allocation(invoice.id, share))
            left -= share
    return Split(tuple(made), left)


def allocate_explicit(
    amount: Decimal,
    currency: str,
    invoices: Sequence[OpenInvoice],
    wanted: Sequence[tuple[uuid.UUID, Decimal]],
) -> Split:
    """The allocations asked for, each to an open invoice of the client in the payment's
    currency and within its balance, together within the payment; the rest is credit."""
    by_id = {i.id: i for i in invoices}
    given: dict[uuid.UUID, Decimal] = {}
    made: list[Allocation] = []
    for index, (invoice_id, share) in enumerate(wanted):
        invoice = by_id.get(invoice_id)
        if invoice is None:
            raise AllocationError(index, "not an open invoice of this client")
        if invoice.currency != currency:
            raise AllocationError(
                index, f"the invoice is in {invoice.currency}, the payment in {currency}"
            )
        if share <= 0:
            raise AllocationError(index, "an allocation must be greater than 0")
        already = given.get(invoice_id, Decimal(0))
        if already + share > invoice.balance:
            raise AllocationError(
                index, f"{already + share} is more than the invoice's balance {invoice.balance}"
            )
        given[invoice_id] = already + share
        made.append(Allocation(invoice_id, share))
    allocated = sum((a.amount for a in made), Decimal(0))
    if allocated > amount:
        raise AllocationError(None, f"the allocations ({allocated}) exceed the payment ({amount})")
    return Split(tuple(made), amount - allocated)


def credit_to_apply(credit: Decimal, balance: Decimal) -> Decimal:
    """How much of a client's credit settles an invoice's balance."""
    return max(Decimal(0), min(credit, balance))


class ReversalError(ValueError):
    """A payment that cannot be reversed (a 409)."""


def check_reversal(surplus: Decimal, credit: Decimal, currency: str) -> None:
    """A reversal takes back the payment's ``surplus`` from the client's ``credit`` in the
    payment's currency: it must still be there (not applied to other invoices since)."""
    if surplus > credit:
        raise ReversalError(
            f"the payment's surplus {surplus} {currency} became client credit and "
            f"only {credit} {currency} of it is left: reverse what it paid first"
        )
