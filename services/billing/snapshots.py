"""The state the billing service's events carry (event-carried state transfer): the client
and its team (``store.clients.ClientView.team``), and the whole current state of the contract,
invoice or opportunity concerned. The use cases (``handlers/``) and the scans (``workers.py``)
build their events from these."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.billing.domain.invoices import balance
from services.billing.store.models import Contract, Estimate, Invoice, Opportunity
from shared.money import format_amount
from shared.replicas import ClientView


def money_out(amount: Decimal | None, currency: str | None) -> dict[str, str] | None:
    if amount is None or currency is None:
        return None
    return {"amount": format_amount(amount, currency), "currency": currency}


def contract_fields(contract: Contract, client: ClientView) -> dict[str, Any]:
    return {
        **client.team(),
        "contract_id": contract.id,
        "number": contract.number,
        "title": contract.title,
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "auto_renew": contract.auto_renew,
        "renewal_notice_days": contract.renewal_notice_days,
        "payment_terms_days": contract.payment_terms_days,
        "value": money_out(contract.value_amount, contract.value_currency),
        "budget": money_out(contract.budget_amount, contract.budget_currency),
        "status": contract.status,
    }


def invoice_fields(invoice: Invoice, client: ClientView) -> dict[str, Any]:
    c = invoice.currency
    return {
        **client.team(),
        "invoice_id": invoice.id,
        "number": invoice.number,
        "contract_id": invoice.contract_id,
        "currency": c,
        "subtotal": format_amount(invoice.subtotal, c),
        "tax": format_amount(invoice.tax, c),
        "total": format_amount(invoice.total, c),
        "amount_paid": format_amount(invoice.amount_paid, c),
        "balance": format_amount(balance(invoice), c),
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "status": invoice.status,
    }


def estimate_fields(estimate: Estimate, client: ClientView) -> dict[str, Any]:
    c = estimate.currency
    return {
        **client.team(),
        "estimate_id": estimate.id,
        "contract_id": estimate.contract_id,
        "title": estimate.title,
        "currency": c,
        "subtotal": format_amount(estimate.subtotal, c),
        "tax": format_amount(estimate.tax, c),
        "total": format_amount(estimate.total, c),
        "valid_until": estimate.valid_until,
        "status": estimate.status,
    }


def opportunity_fields(opportunity: Opportunity, client: ClientView) -> dict[str, Any]:
    return {
        **client.team(),
        "opportunity_id": opportunity.id,
        "title": opportunity.title,
        "kind": opportunity.kind,
        "new_stage": opportunity.stage,
        "value": money_out(opportunity.value_amount, opportunity.value_currency),
        "expected_close": opportunity.expected_close,
        "owner_id": opportunity.owner_id,
        "lost_reason": opportunity.lost_reason,
    }
