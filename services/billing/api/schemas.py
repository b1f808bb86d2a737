"""Response bodies of the billing API (names follow CONTRACT.md); the request bodies are
the command models of ``services/billing/commands.py``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.billing.domain.contracts import ContractStatus
from services.billing.domain.documents import Language
from services.billing.domain.dunning import PromiseState
from services.billing.domain.estimates import EstimateStatus
from services.billing.domain.invoices import InvoiceStatus
from services.billing.domain.opportunities import Kind, Stage

Amount = str


class MoneyOut(BaseModel):
    amount: Amount = Field(examples=["1234.50"])
    currency: str = Field(examples=["EUR"])


class ContractOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    number: str
    title: str
    starts_on: date
    ends_on: date
    auto_renew: bool
    renewal_notice_days: int
    payment_terms_days: int
    value: MoneyOut | None
    budget: MoneyOut | None
    status: ContractStatus
    renewals: int
    external_id: str | None = Field(
        description="its key in the system it was imported from (POST /api/v1/imports)"
    )
    created_at: datetime
    updated_at: datetime


class LineOut(BaseModel):
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    net: Amount
    tax: Amount
    total: Amount


class InvoiceOut(BaseModel):
    id: uuid.UUID
    number: str | None
    client_id: uuid.UUID
    contract_id: uuid.UUID | None
    estimate_id: uuid.UUID | None
    currency: str
    lines: list[LineOut]
    subtotal: Amount
    tax: Amount
    total: Amount
    amount_paid: Amount = Field(
        description="paid by payments, the client's credit and credit notes (what of "
        "`credited` settled the balance), and for an imported invoice what was paid before "
        "it came (`amount_paid` of the import)"
    )
    credited: Amount = Field(description="the total of the credit notes against it")
    balance: Amount
    issue_date: date | None
    due_date: date | None
    status: InvoiceStatus
    days_overdue: int
    paid_on: date | None
    promised_on: date | None
    promise_note: str | None
    promise_state: PromiseState | None
    notes: str | None
    external_id: str | None = Field(
        description="its key in the system it was imported from (POST /api/v1/imports)"
    )
    external_number: str | None = Field(
        description="the number it had in the system it was imported from (`number` is "
        "Orbit's, given when it was issued here)"
    )
    created_at: datetime
    updated_at: datetime


class AllocationOut(BaseModel):
    # Always answered: required in the response schema although it has a default.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    invoice_id: uuid.UUID
    amount: Amount
    source: Literal["payment", "credit"] = "payment"


class PaymentOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    amount: Amount
    currency: str
    received_at: datetime
    method: str
    reference: str | None
    allocations: list[AllocationOut]
    credit: Amount = Field(description="the surplus that became client credit")
    created_at: datetime
    reversed_at: datetime | None = Field(
        description="when the payment was reversed (bounced, mis-booked); null: it stands"
    )
    reversal_reason: str | None


class CreditNoteOut(BaseModel):
    id: uuid.UUID
    number: str = Field(description="its own gap-free yearly series: CN-2026-000001")
    invoice_id: uuid.UUID
    client_id: uuid.UUID
    currency: str
    lines: list[LineOut]
    subtotal: Amount
    tax: Amount
    total: Amount
    applied: Amount = Field(description="what it took off the invoice's balance")
    to_credit: Amount = Field(description="what became the client's credit")
    reason: str
    issue_date: date
    issued_by: uuid.UUID
    created_at: datetime


class BillingDetailsOut(BaseModel):
    client_id: uuid.UUID
    legal_name: str | None
    tax_id: str | None = Field(description="INN or VAT number")
    registration_code: str | None = Field(description="KPP")
    address: str | None
    bank_name: str | None
    bank_account: str | None = Field(description="account number or IBAN")
    bank_code: str | None = Field(description="BIC or SWIFT")
    correspondent_account: str | None
    language: Language | None = Field(description="its documents' language")
    updated_at: datetime | None


class CreditOut(BaseModel):
    client_id: uuid.UUID
    balances: list[MoneyOut] = Field(description="the client's credit per currency")


class EstimateOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    contract_id: uuid.UUID | None
    title: str
    currency: str
    lines: list[LineOut]
    subtotal: Amount
    tax: Amount
    total: Amount
    status: EstimateStatus
    valid_until: date | None
    invoice_id: uuid.UUID | None
    rejected_reason: str | None
    created_at: datetime
    updated_at: datetime


class OpportunityOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    title: str
    kind: Kind
    stage: Stage
    value: MoneyOut | None
    expected_close: date | None
    owner_id: uuid.UUID | None
    lost_reason: str | None
    created_at: datetime
    updated_at: datetime
