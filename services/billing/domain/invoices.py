"""Invoice lines, totals and the invoice's life: draft -> issued -> partially_paid / paid /
overdue, or void.

Each line's net (quantity x unit price) and tax (net x tax rate) are rounded half-up to the
currency's minor unit; the invoice sums the rounded lines (CONTRACT.md "billing").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol, get_args

from shared.money import (
    MAX_AMOUNT,
    InvalidAmount,
    MoneyError,
    round_money,
    to_decimal,
)

# An invoice's statuses (the API's schemas and query parameter, the events take these).
InvoiceStatus = Literal["draft", "issued", "partially_paid", "paid", "overdue", "void"]
STATUSES: tuple[InvoiceStatus, ...] = get_args(InvoiceStatus)
DRAFT, ISSUED, PARTIALLY_PAID, PAID, OVERDUE, VOID = STATUSES
OPEN = (ISSUED, PARTIALLY_PAID, OVERDUE)  # issued, with a balance left
MAX_LINES = 500
MAX_QUANTITY = Decimal("1000000000")


class Owed(Protocol):
    """An issued invoice's amounts (the entity, or the columns a scan reads)."""

    total: Decimal
    amount_paid: Decimal


def balance(invoice: Owed) -> Decimal:
    """What is left to pay of the invoice."""
    return invoice.total - invoice.amount_paid


class LineError(MoneyError):
    """A line breaks a rule; ``index`` and ``field`` say where."""

    def __init__(self, index: int, field: str, msg: str) -> None:
        super().__init__(f"lines.{index}.{field}: {msg}")
        self.index, self.field, self.msg = index, field, msg


class IllegalTransition(Exception):
    """An invoice cannot go from its status to the one asked (a 409)."""


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


@dataclass(frozen=True)
class LineTotals:
    net: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.tax


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def check_line(index: int, line: Line, currency: str) -> Line:
    """The line if every number is sane: finite; quantity and unit price not negative; a tax
    rate in [0, 1); a line total within :data:`MAX_AMOUNT`."""
    values = {}
    for field in ("quantity", "unit_price", "tax_rate"):
        try:
            values[field] = to_decimal(getattr(line, field), field)
        except InvalidAmount as exc:
            raise LineError(index, field, str(exc)) from exc
    quantity, unit_price, tax_rate = values["quantity"], values["unit_price"], values["tax_rate"]
    if quantity < 0:
        raise LineError(index, "quantity", "must not be negative")
    if quantity > MAX_QUANTITY:
        raise LineError(index, "quantity", f"exceeds {MAX_QUANTITY}")
    if unit_price < 0:
        raise LineError(index, "unit_price", "must not be negative")
    if unit_price > MAX_AMOUNT:
        raise LineError(index, "unit_price", f"exceeds {MAX_AMOUNT}")
    if not Decimal(0) <= tax_rate < 1:
        raise LineError(index, "tax_rate", "must be a fraction in [0, 1) (0.20 is 20 %)")
    checked = Line(line.description, quantity, unit_price, tax_rate)
    if line_totals(checked, currency).total > MAX_AMOUNT:
        raise LineError(index, "quantity", f"the line total exceeds {MAX_AMOUNT}")
    return checked


def check_lines(lines: Sequence[Line], currency: str) -> list[Line]:
    if len(lines) > MAX_LINES:
        raise LineError(MAX_LINES, "description", f"at most {MAX_LINES} lines")
    checked = [check_line(i, line, currency) for i, line in enumerate(lines)]
    if invoice_totals(checked, currency).total > MAX_AMOUNT:
        raise LineError(0, "quantity", f"the invoice total exceeds {MAX_AMOUNT}")
    return checked


def line_totals(line: Line, currency: str) -> LineTotals:
    net = round_money(line.quantity * line.unit_price, currency)
    tax = round_money(net * line.tax_rate, currency)
    return LineTotals(net, tax)


def invoice_totals(lines: Sequence[Line], currency: str) -> Totals:
    parts = [line_totals(line, currency) for line in lines]
    subtotal = sum((p.net for p in parts), Decimal(0))
    tax = sum((p.tax for p in parts), Decimal(0))
    return Totals(subtotal, tax, subtotal + tax)


# ---------------------------------------------------------------- the state machine


def check_editable(status: str) -> None:
    if status != DRAFT:
        raise IllegalTransition(f"the invoice is {status}: only a draft's lines can change")


def check_issue(status: str, lines: int) -> None:
    if status != DRAFT:
        raise IllegalTransition(f"the invoice is {status}: only a draft can be issued")
    if lines == 0:
        raise IllegalTransition("an invoice without lines cannot be issued")


def check_void(status: str, amount_paid: Decimal) -> None:
    """Drafts and issued invoices nothing was paid on can be voided; a paid or partly paid
    one cannot (its payments would be left hanging), nor a void one again."""
    if status == VOID:
        raise IllegalTransition("the invoice is void already")
    if status == PAID or amount_paid > 0:
        raise IllegalTransition(
            f"the invoice is {status} ({amount_paid} paid): a paid or partly paid invoice "
            "cannot be voided"
        )


def status_after_payment(
    total: Decimal, amount_paid: Decimal, due_date: date | None, today: date
) -> str:
    """The status of an issued invoice once ``amount_paid`` of ``total`` is paid."""
    if amount_paid >= total:
        return PAID
    if due_date is not None and today > due_date:
        return OVERDUE
    return PARTIALLY_PAID if amount_paid > 0 else ISSUED


def effective_status(status: str, balance: Decimal, due_date: date | None, today: date) -> str:
    """What the API shows: an issued invoice past its due date with a balance is overdue,
    even before the scan has marked it."""
    if (
        status in (ISSUED, PARTIALLY_PAID)
        and balance > 0
        and due_date is not None
        and today > due_date
    ):
        return OVERDUE
    return status


def days_overdue(status: str, balance: Decimal, due_date: date | None, today: date) -> int:
    if status not in OPEN or balance <= 0 or due_date is None:
        return 0
    return max(0, (today - due_date).days)


NUMBER_DIGITS = 6


def invoice_number(year: int, sequence: int) -> str:
    """``2026-000042``: the year of issue and its gap-free sequence."""
    return f"{year}-{sequence:0{NUMBER_DIGITS}d}"
