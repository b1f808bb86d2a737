"""What the billing use cases share: money and lines from commands, event snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from services.billing.commands import LineIn, MoneyIn
from services.billing.domain.invoices import Line, LineError, Totals, check_lines, line_totals
from services.billing.domain.invoices import invoice_totals as totals_of
from services.billing.domain.money import MoneyError, check_amount, format_amount
from services.billing.store.models import Contract, Invoice
from services.billing.store.repository import today_in
from shared.auth import Caller, Role
from shared.errors import Invalid
from shared.replicas import ClientView
from shared.uow import UnitOfWork

STAFF_ROLES = (Role.ADMIN, Role.HEAD, Role.MANAGER)


def require_staff(caller: Caller) -> None:
    """Everything but booking payments is for staff: a ``service`` token gets 403."""
    caller.require(*STAFF_ROLES)


def money(value: MoneyIn | None, field: str) -> tuple[Decimal | None, str | None]:
    """(amount, currency) of an optional money field, checked for the currency's decimals."""
    if value is None:
        return None, None
    try:
        return check_amount(value.amount, value.currency, "amount"), value.currency
    except MoneyError as exc:
        raise Invalid.field([field, "amount"], str(exc)) from exc


def money_out(amount: Decimal | None, currency: str | None) -> dict[str, str] | None:
    if amount is None or currency is None:
        return None
    return {"amount": format_amount(amount, currency), "currency": currency}


def checked_lines(lines: Sequence[LineIn], currency: str) -> tuple[list[dict[str, str]], Totals]:
    """The lines as stored (decimal strings, each line's net and tax rounded) and the totals;
    a line breaking a rule is a 422 naming it (``lines.2.quantity``)."""
    try:
        checked = check_lines(
            [Line(li.description, li.quantity, li.unit_price, li.tax_rate) for li in lines],
            currency,
        )
    except LineError as exc:
        raise Invalid.field(["lines", exc.index, exc.field], exc.msg) from exc
    stored = []
    for line in checked:
        parts = line_totals(line, currency)
        stored.append(
            {
                "description": line.description,
                "quantity": format(line.quantity, "f"),
                "unit_price": format(line.unit_price, "f"),
                "tax_rate": format(line.tax_rate, "f"),
                "net": format_amount(parts.net, currency),
                "tax": format_amount(parts.tax, currency),
            }
        )
    return stored, totals_of(checked, currency)


def balance(invoice: Invoice) -> Decimal:
    return invoice.total - invoice.amount_paid


def client_today(client: ClientView, uow: UnitOfWork) -> date:
    return today_in(client.timezone, uow.clock.now())


def contract_fields(contract: Contract, client: ClientView) -> dict[str, Any]:
    return {
        **client.team(department=False),
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
        **client.team(department=False),
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
