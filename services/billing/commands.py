"""Commands of the billing service: the request bodies its use cases take (``handlers/``),
named as in every service: ``<Thing>In`` creates, ``<Thing>Patch`` changes part of one,
``<Action>In`` takes an action (``shared.inputs``: unknown fields and control characters
refused; a patch refuses ``null`` for the fields in ``NOT_NULL``).

Amounts are decimal strings (an int is taken too; a float never: it has lost the exact
value already), parsed to ``Decimal``; NaN and Infinity are refused here, the rules that
depend on the currency (its decimals, the line bounds) in the handlers (``domain/``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from services.billing.domain.contracts import SettableStatus
from services.billing.domain.documents import Language
from services.billing.domain.opportunities import Kind, Stage
from shared.inputs import In, Patch
from shared.money import check_currency, to_decimal


def _decimal(value: Any) -> Decimal:
    if isinstance(value, int | str | Decimal) and not isinstance(value, bool):
        return to_decimal(value)
    raise ValueError('must be a decimal string such as "1234.50"')


DecimalText = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["1234.50"]}),
]
Currency = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3),
    AfterValidator(check_currency),
    WithJsonSchema(
        {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["EUR"], "description": "ISO 4217"}
    ),
]
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def _sane_date(value: date) -> date:
    """Dates far enough from the calendar's ends that terms, due dates and the dunning
    schedule never overflow it."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


Day = Annotated[date, AfterValidator(_sane_date)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Days = Annotated[int, Field(ge=0, le=365)]


class MoneyIn(In):
    amount: DecimalText
    currency: Currency


# ---------------------------------------------------------------- contracts


class ContractIn(In):
    client_id: uuid.UUID
    number: Number
    title: Title
    starts_on: Day
    ends_on: Day
    auto_renew: bool = False
    renewal_notice_days: Days = 30
    payment_terms_days: Days = 30
    value: MoneyIn | None = None
    budget: MoneyIn | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ContractIn:
        if self.ends_on <= self.starts_on:
            raise ValueError("ends_on must be after starts_on")
        return self


class ContractPatch(Patch):
    NOT_NULL = (
        "number",
        "title",
        "ends_on",
        "auto_renew",
        "renewal_notice_days",
        "payment_terms_days",
        "status",
    )

    number: Number | None = None
    title: Title | None = None
    ends_on: Day | None = None
    auto_renew: bool | None = None
    renewal_notice_days: Days | None = None
    payment_terms_days: Days | None = None
    value: MoneyIn | None = None
    budget: MoneyIn | None = None
    status: SettableStatus | None = None


class RenewIn(In):
    """Renew now: for the same term, or until ``ends_on`` when given."""

    ends_on: Day | None = None


# ---------------------------------------------------------------- invoices and estimates


class LineIn(In):
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ]
    quantity: DecimalText
    unit_price: DecimalText
    tax_rate: DecimalText = Decimal(0)


Lines = Annotated[list[LineIn], Field(max_length=500)]


class InvoiceIn(In):
    client_id: uuid.UUID
    contract_id: uuid.UUID | None = None
    currency: Currency | None = None  # default: the contract's (value, budget), else required
    lines: Lines = Field(default_factory=list)
    notes: Note | None = None


class InvoicePatch(Patch):
    """A draft's lines and notes (an issued invoice's lines are frozen: 409)."""

    NOT_NULL = ("lines", "currency")

    lines: Lines | None = None
    currency: Currency | None = None
    notes: Note | None = None


class IssueIn(In):
    issue_date: Day | None = None  # default: today in the client's timezone
    due_date: Day | None = None  # default: issue_date + the contract's payment terms

    @model_validator(mode="after")
    def _ordered(self) -> IssueIn:
        if self.issue_date and self.due_date and self.due_date < self.issue_date:
            raise ValueError("due_date must not be before issue_date")
        return self


class PromiseIn(In):
    promised_on: Day
    note: Note | None = None


class EstimateIn(In):
    client_id: uuid.UUID
    contract_id: uuid.UUID | None = None
    title: Title
    currency: Currency
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    valid_until: Day | None = None


class EstimatePatch(Patch):
    """A draft's title, currency, lines and ``valid_until`` (null: no limit); an approved,
    invoiced or rejected estimate is a 409."""

    NOT_NULL = ("title", "currency", "lines")

    title: Title | None = None
    currency: Currency | None = None
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)] | None = None
    valid_until: Day | None = None


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ReasonIn(In):
    """A correction's reason (it goes into the event: the audit trail)."""

    reason: Reason


class CreditNoteIn(In):
    """A credit note: ``lines`` (priced like the invoice's, in its currency) or an ``amount``
    (tax included; its tax in the invoice's proportion), one of the two, and the reason."""

    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)] | None = None
    amount: DecimalText | None = None
    reason: Reason

    @model_validator(mode="after")
    def _one_of(self) -> CreditNoteIn:
        if (self.lines is None) == (self.amount is None):
            raise ValueError("give either lines or amount")
        return self


# ---------------------------------------------------------------- legal and bank details

Detail = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class BillingDetailsIn(In):
    """A client's legal and bank details as its documents print them (a PUT: each field
    omitted or null is cleared); ``language``: its documents' language."""

    legal_name: Title | None = None
    tax_id: Detail | None = None
    registration_code: Detail | None = None
    address: Note | None = None
    bank_name: Title | None = None
    bank_account: Detail | None = None
    bank_code: Detail | None = None
    correspondent_account: Detail | None = None
    language: Language | None = None


# ---------------------------------------------------------------- payments


class AllocationIn(In):
    invoice_id: uuid.UUID
    amount: DecimalText


class PaymentIn(In):
    client_id: uuid.UUID
    amount: DecimalText
    currency: Currency
    received_at: datetime | None = None  # default: now
    method: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)
    ] = "bank_transfer"
    reference: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    # Explicit allocations; omitted: the oldest open invoices in the payment's currency.
    allocations: Annotated[list[AllocationIn], Field(max_length=500)] | None = None

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset (RFC 3339)")
        return value


# ---------------------------------------------------------------- opportunities


class OpportunityIn(In):
    client_id: uuid.UUID
    title: Title
    kind: Kind = "upsell"
    stage: Stage = "lead"
    value: MoneyIn | None = None
    expected_close: Day | None = None
    owner_id: uuid.UUID | None = None  # default: the caller (a manager or head), else none
    lost_reason: Note | None = None


class OpportunityPatch(Patch):
    NOT_NULL = ("title", "kind", "stage")

    title: Title | None = None
    kind: Kind | None = None
    stage: Stage | None = None
    value: MoneyIn | None = None
    expected_close: Day | None = None
    owner_id: uuid.UUID | None = None
    lost_reason: Note | None = None
