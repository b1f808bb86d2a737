"""Credit notes: a credit against an issued (or paid) invoice, by lines or by an amount,
never more than what is left uncredited of the invoice; numbered in their own gap-free
yearly series (``CN-2026-000001``). What the credit note takes off the balance settles the
invoice like a payment; the rest (of an invoice paid already) becomes the client's credit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.billing.domain.invoices import NUMBER_DIGITS, OPEN, PAID, Totals
from shared.money import round_money

CREDITABLE = (*OPEN, PAID)


class CreditNoteError(ValueError):
    """A credit note that cannot be made: ``conflict`` (409, the invoice's state) or not
    (422, the amount)."""

    def __init__(self, msg: str, *, conflict: bool = False) -> None:
        super().__init__(msg)
        self.msg, self.conflict = msg, conflict


@dataclass(frozen=True)
class Split:
    applied: Decimal  # to the invoice's balance
    to_credit: Decimal  # to the client's credit


def check_credit(status: str, total: Decimal, credited: Decimal, amount: Decimal) -> None:
    """``amount`` may be credited on an invoice of ``status`` and ``total`` of which
    ``credited`` was credited before."""
    if status not in CREDITABLE:
        raise CreditNoteError(
            f"the invoice is {status}: only an issued or paid invoice takes a credit note",
            conflict=True,
        )
    if amount <= 0:
        raise CreditNoteError("a credit note must be greater than 0")
    left = total - credited
    if amount > left:
        raise CreditNoteError(f"{amount} is more than what is left to credit ({left})")


def split(amount: Decimal, balance: Decimal) -> Split:
    """The credit note's ``amount``: first against the invoice's ``balance``, the rest to
    the client's credit."""
    applied = max(Decimal(0), min(amount, balance))
    return Split(applied, amount - applied)


def amount_totals(amount: Decimal, subtotal: Decimal, tax: Decimal, currency: str) -> Totals:
    """A credit of ``amount`` (tax included) split into net and tax as the invoice's are."""
    gross = subtotal + tax
    part = round_money(amount * tax / gross, currency) if gross else Decimal(0)
    return Totals(amount - part, part, amount)


def credit_note_number(year: int, sequence: int) -> str:
    """``CN-2026-000042``: the year of issue and its gap-free sequence."""
    return f"CN-{year}-{sequence:0{NUMBER_DIGITS}d}"
