"""Entities -> response bodies (amounts as strings with the currency's decimals)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.api.schemas import (
    AllocationOut,
    BillingDetailsOut,
    ContractOut,
    CreditNoteOut,
    CreditOut,
    EstimateOut,
    InvoiceOut,
    LineOut,
    MoneyOut,
    OpportunityOut,
    PaymentOut,
)
from services.billing.domain import estimates
from services.billing.domain.dates import today_in
from services.billing.domain.invoices import days_overdue, effective_status
from services.billing.store.billing_details import DETAIL_FIELDS
from services.billing.store.models import (
    Allocation,
    ClientBillingDetails,
    Contract,
    CreditNote,
    Estimate,
    Invoice,
    Opportunity,
    Payment,
)
from services.billing.store.payments import allocations_of
from shared.money import format_amount


def money(amount: Decimal | None, currency: str | None) -> MoneyOut | None:
    if amount is None or currency is None:
        return None
    return MoneyOut(amount=format_amount(amount, currency), currency=currency)


def contract_out(contract: Contract) -> ContractOut:
    return ContractOut(
        id=contract.id,
        client_id=contract.client_id,
        number=contract.number,
        title=contract.title,
        starts_on=contract.starts_on,
        ends_on=contract.ends_on,
        auto_renew=contract.auto_renew,
        renewal_notice_days=contract.renewal_notice_days,
        payment_terms_days=contract.payment_terms_days,
        value=money(contract.value_amount, contract.value_currency),
        budget=money(contract.budget_amount, contract.budget_currency),
        status=contract.status,
        renewals=contract.renewals,
        external_id=contract.external_id,
        created_at=contract.created_at,
        updated_at=contract.updated_at,
    )


def lines_out(lines: list[dict[str, Any]], currency: str) -> list[LineOut]:
    return [
        LineOut(
            description=line["description"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            tax_rate=line["tax_rate"],
            net=line["net"],
            tax=line["tax"],
            total=format_amount(Decimal(line["net"]) + Decimal(line["tax"]), currency),
        )
        for line in lines
    ]


def invoice_out(invoice: Invoice, now: datetime) -> InvoiceOut:
    """The invoice as the API shows it; overdue and days overdue on the client's today."""
    c = invoice.currency
    balance = invoice.total - invoice.amount_paid
    today = today_in(invoice.client_timezone, now)
    status = effective_status(invoice.status, balance, invoice.due_date, today)
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        client_id=invoice.client_id,
        contract_id=invoice.contract_id,
        estimate_id=invoice.estimate_id,
        currency=c,
        lines=lines_out(invoice.lines, c),
        subtotal=format_amount(invoice.subtotal, c),
        tax=format_amount(invoice.tax, c),
        total=format_amount(invoice.total, c),
        amount_paid=format_amount(invoice.amount_paid, c),
        credited=format_amount(invoice.credited, c),
        balance=format_amount(balance, c),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        status=status,
        days_overdue=days_overdue(status, balance, invoice.due_date, today),
        paid_on=invoice.paid_on,
        promised_on=invoice.promised_on,
        promise_note=invoice.promise_note,
        promise_state=invoice.promise_state,
        notes=invoice.notes,
        external_id=invoice.external_id,
        external_number=invoice.external_number,
        created_at=invoice.created_at,
        updated_at=invoice.updated_at,
    )


def payment_out(payment: Payment, allocations: list[Allocation]) -> PaymentOut:
    c = payment.currency
    return PaymentOut(
        id=payment.id,
        client_id=payment.client_id,
        amount=format_amount(payment.amount, c),
        currency=c,
        received_at=payment.received_at,
        method=payment.method,
        reference=payment.reference,
        allocations=[
            AllocationOut(invoice_id=a.invoice_id, amount=format_amount(a.amount, c))
            for a in allocations
            if a.source == "payment"
        ],
        credit=format_amount(payment.credit, c),
        created_at=payment.created_at,
        reversed_at=payment.reversed_at,
        reversal_reason=payment.reversal_reason,
    )


async def payments_out(session: AsyncSession, items: list[Payment]) -> list[PaymentOut]:
    """A page of payments, each with its allocations (read in one query)."""
    allocations = await allocations_of(session, [p.id for p in items])
    return [payment_out(p, allocations[p.id]) for p in items]


def credit_note_out(note: CreditNote) -> CreditNoteOut:
    c = note.currency
    return CreditNoteOut(
        id=note.id,
        number=note.number,
        invoice_id=note.invoice_id,
        client_id=note.client_id,
        currency=c,
        lines=lines_out(note.lines, c),
        subtotal=format_amount(note.subtotal, c),
        tax=format_amount(note.tax, c),
        total=format_amount(note.total, c),
        applied=format_amount(note.applied, c),
        to_credit=format_amount(note.to_credit, c),
        reason=note.reason,
        issue_date=note.issue_date,
        issued_by=note.issued_by,
        created_at=note.created_at,
    )


def billing_details_out(
    client_id: uuid.UUID, details: ClientBillingDetails | None
) -> BillingDetailsOut:
    """A client's details (all null until someone enters them)."""
    fields = {name: getattr(details, name, None) for name in DETAIL_FIELDS}
    return BillingDetailsOut(
        client_id=client_id, updated_at=getattr(details, "updated_at", None), **fields
    )


def credit_out(client_id: uuid.UUID, balances: dict[str, Decimal]) -> CreditOut:
    return CreditOut(
        client_id=client_id,
        balances=[MoneyOut(amount=format_amount(a, c), currency=c) for c, a in balances.items()],
    )


def estimate_out(estimate: Estimate, now: datetime) -> EstimateOut:
    """The estimate as the API shows it at ``now`` (a draft past ``valid_until``: expired)."""
    c = estimate.currency
    today = today_in(estimate.client_timezone, now)
    return EstimateOut(
        id=estimate.id,
        client_id=estimate.client_id,
        contract_id=estimate.contract_id,
        title=estimate.title,
        currency=c,
        lines=lines_out(estimate.lines, c),
        subtotal=format_amount(estimate.subtotal, c),
        tax=format_amount(estimate.tax, c),
        total=format_amount(estimate.total, c),
        status=estimates.effective_status(estimate.status, estimate.valid_until, today),
        valid_until=estimate.valid_until,
        invoice_id=estimate.invoice_id,
        rejected_reason=estimate.rejected_reason,
        created_at=estimate.created_at,
        updated_at=estimate.updated_at,
    )


def opportunity_out(opportunity: Opportunity) -> OpportunityOut:
    return OpportunityOut(
        id=opportunity.id,
        client_id=opportunity.client_id,
        title=opportunity.title,
        kind=opportunity.kind,
        stage=opportunity.stage,
        value=money(opportunity.value_amount, opportunity.value_currency),
        expected_close=opportunity.expected_close,
        owner_id=opportunity.owner_id,
        lost_reason=opportunity.lost_reason,
        created_at=opportunity.created_at,
        updated_at=opportunity.updated_at,
    )
