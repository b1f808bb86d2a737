"""Events the billing service publishes (topic ``orbit.billing``, key = client id).

Each carries what a subscriber needs to act without calling back: the client, its account
manager, the manager's department and the head responsible for escalations, and the amounts
as decimal strings with their ISO 4217 currency. Frozen; a breaking change is a new ``...V2``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from services.billing.domain.contracts import ContractStatus
from services.billing.domain.estimates import EstimateStatus
from services.billing.domain.invoices import InvoiceStatus
from services.billing.domain.opportunities import Kind, Stage
from shared.messaging.envelope import Event

Amount = str  # a decimal string with the currency's minor unit, e.g. "1234.50"


class BillingMoneyV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: Amount
    currency: str


class ClientTeam(Event):
    """Who an event about a client is for: the client, its account manager and the manager's
    department, and the head responsible for escalations (the manager's head; a head without
    one: themself; else null): the header of every client event of every service."""

    client_id: uuid.UUID
    client_name: str | None
    account_manager_id: uuid.UUID | None
    # Added to the published v1s (so optional in their schemas): always sent.
    account_manager_department: str | None = None
    head_id: uuid.UUID | None


# ---------------------------------------------------------------- contracts


class ContractSnapshot(ClientTeam):
    contract_id: uuid.UUID
    number: str
    title: str
    starts_on: date
    ends_on: date
    auto_renew: bool
    renewal_notice_days: int
    payment_terms_days: int
    value: BillingMoneyV1 | None
    budget: BillingMoneyV1 | None
    status: ContractStatus


class ContractCreatedV1(ContractSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.contract.created.v1"


class ContractUpdatedV1(ContractSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.contract.updated.v1"

    changed: list[str]


class ContractExpiringV1(ContractSnapshot):
    """``renewal_notice_days`` before ``ends_on`` (in the client's timezone), once per end."""

    TYPE: ClassVar[str] = "orbit.billing.contract.expiring.v1"

    days_left: int


class ContractRenewedV1(ContractSnapshot):
    """Renewed for the same term (automatically at its end when ``auto_renew``, or by hand):
    ``starts_on``/``ends_on`` are the new period."""

    TYPE: ClassVar[str] = "orbit.billing.contract.renewed.v1"

    previous_starts_on: date
    previous_ends_on: date
    automatic: bool


class ContractExpiredV1(ContractSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.contract.expired.v1"


class BudgetThresholdReachedV1(ClientTeam):
    """What was invoiced against a contract reached ``threshold`` % of its budget (80 and 100,
    once each)."""

    TYPE: ClassVar[str] = "orbit.billing.budget.threshold_reached.v1"

    contract_id: uuid.UUID
    contract_number: str
    threshold: int
    budget: Amount
    invoiced: Amount
    currency: str


# ---------------------------------------------------------------- invoices


class InvoiceSnapshot(ClientTeam):
    invoice_id: uuid.UUID
    number: str | None
    contract_id: uuid.UUID | None
    currency: str
    subtotal: Amount
    tax: Amount
    total: Amount
    amount_paid: Amount
    balance: Amount
    issue_date: date | None
    due_date: date | None
    status: InvoiceStatus


class InvoiceIssuedV1(InvoiceSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.invoice.issued.v1"


class InvoiceVoidedV1(InvoiceSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.invoice.voided.v1"


class InvoicePaidV1(InvoiceSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.invoice.paid.v1"

    paid_on: date


class InvoiceOverdueV1(InvoiceSnapshot):
    """Past its due date (in the client's timezone) with a balance; once per invoice.
    ``step`` is the last dunning step sent so far (days from the due date), if any."""

    TYPE: ClassVar[str] = "orbit.billing.invoice.overdue.v1"

    days_overdue: int
    step: int | None


class InvoiceCreditedV1(InvoiceSnapshot):
    """A credit note against the invoice (its state after it): ``applied`` took its balance
    down, ``to_credit`` became the client's credit (the invoice was paid already)."""

    TYPE: ClassVar[str] = "orbit.billing.invoice.credited.v1"

    credit_note_id: uuid.UUID
    credit_note_number: str
    credit_total: Amount
    applied: Amount
    to_credit: Amount
    reason: str
    issued_by: uuid.UUID


class BillingContactV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    contact_id: uuid.UUID
    name: str
    email: str | None


class InvoicePaymentReminderDueV1(InvoiceSnapshot):
    """A step of the dunning schedule (``step`` days from the due date; negative: before it)
    is due, once per invoice and step. ``escalate`` from ORBIT_BILLING_DUNNING_ESCALATE_FROM_DAYS:
    the head should hear of it too. ``billing_contacts``: whom to remind at the client."""

    TYPE: ClassVar[str] = "orbit.billing.invoice.payment_reminder_due.v1"

    days_overdue: int
    step: int
    escalate: bool
    billing_contacts: list[BillingContactV1] = Field(default_factory=list)


class InvoicePromiseBrokenV1(InvoiceSnapshot):
    """The client promised to pay by ``promised_on``; the day after, a balance is left."""

    TYPE: ClassVar[str] = "orbit.billing.invoice.promise_broken.v1"

    promised_on: date
    promise_note: str | None
    days_overdue: int
    step: int | None


# ---------------------------------------------------------------- payments


class PaymentAllocationV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_id: uuid.UUID
    invoice_number: str | None
    amount: Amount
    # the invoice after this payment: what it still owes and its status (absent from the
    # events published before they were added)
    balance: Amount | None = None
    status: InvoiceStatus | None = None


class ReopenedInvoiceV1(BaseModel):
    model_config = ConfigDict(frozen=True)

    invoice_id: uuid.UUID
    invoice_number: str | None
    amount: Amount  # what the reversal took back from the invoice
    balance: Amount
    status: InvoiceStatus


class PaymentReceivedV1(ClientTeam):
    TYPE: ClassVar[str] = "orbit.billing.payment.received.v1"

    payment_id: uuid.UUID
    amount: Amount
    currency: str
    received_at: datetime
    method: str
    reference: str | None
    allocations: list[PaymentAllocationV1]
    credit: Amount  # the surplus that became client credit


class PaymentReversedV1(ClientTeam):
    """A bounced or mis-booked payment was reversed: the invoices it paid are open again
    (``reopened``: each with what it owes now and its status), its surplus left the client's
    credit (``credit_removed``), payment control resumes."""

    TYPE: ClassVar[str] = "orbit.billing.payment.reversed.v1"

    payment_id: uuid.UUID
    amount: Amount
    currency: str
    received_at: datetime
    reference: str | None
    reason: str
    reversed_by: uuid.UUID
    reopened: list[ReopenedInvoiceV1]
    credit_removed: Amount


# ---------------------------------------------------------------- estimates


class EstimateSnapshot(ClientTeam):
    estimate_id: uuid.UUID
    contract_id: uuid.UUID | None
    title: str
    currency: str
    subtotal: Amount
    tax: Amount
    total: Amount
    valid_until: date | None
    status: EstimateStatus


class EstimateCreatedV1(EstimateSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.estimate.created.v1"


class EstimateUpdatedV1(EstimateSnapshot):
    """A draft changed (its lines, title, currency, valid_until): ``changed`` names them."""

    TYPE: ClassVar[str] = "orbit.billing.estimate.updated.v1"

    changed: list[str]


class EstimateApprovedV1(EstimateSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.estimate.approved.v1"

    approved_by: uuid.UUID


class EstimateRejectedV1(EstimateSnapshot):
    TYPE: ClassVar[str] = "orbit.billing.estimate.rejected.v1"

    reason: str
    rejected_by: uuid.UUID


class EstimateExpiredV1(EstimateSnapshot):
    """A draft past its ``valid_until`` (the client's today), once per ``valid_until``: it
    can no longer be approved (a later ``valid_until`` revives it)."""

    TYPE: ClassVar[str] = "orbit.billing.estimate.expired.v1"


class EstimateInvoicedV1(EstimateSnapshot):
    """The approved estimate became a draft invoice (``invoice_id``)."""

    TYPE: ClassVar[str] = "orbit.billing.estimate.invoiced.v1"

    invoice_id: uuid.UUID


# ---------------------------------------------------------------- opportunities


class OpportunityStageChangedV1(ClientTeam):
    TYPE: ClassVar[str] = "orbit.billing.opportunity.stage_changed.v1"

    opportunity_id: uuid.UUID
    title: str
    kind: Kind
    old_stage: Stage | None  # null when the opportunity was just created
    new_stage: Stage
    value: BillingMoneyV1 | None
    expected_close: date | None
    owner_id: uuid.UUID | None
    lost_reason: str | None
