"""What the billing use cases share: the staff check, money and lines from commands, the
client's today."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from services.billing.commands import LineIn, MoneyIn
from services.billing.domain.dates import today_in
from services.billing.domain.invoices import Line, LineError, Totals, check_lines, line_totals
from services.billing.domain.invoices import invoice_totals as totals_of
from shared import audit
from shared.auth import Caller, Role
from shared.errors import Invalid
from shared.money import MoneyError, check_amount, format_amount
from shared.replicas import ClientView
from shared.uow import UnitOfWork

# Staff, and an integration (within its scopes, for the whole company).
PEOPLE_ROLES = (Role.ADMIN, Role.HEAD, Role.MANAGER, Role.INTEGRATION)


def require_staff(caller: Caller) -> None:
    """Everything but booking payments is for staff and integrations: a ``service`` token
    gets 403."""
    caller.require(*PEOPLE_ROLES)


def money(value: MoneyIn | None, field: str) -> tuple[Decimal | None, str | None]:
    """(amount, currency) of an optional money field, checked for the currency's decimals."""
    if value is None:
        return None, None
    try:
        return check_amount(value.amount, value.currency, "amount"), value.currency
    except MoneyError as exc:
        raise Invalid.field([field, "amount"], str(exc)) from exc


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


def lines_in(stored: list[dict[str, str]]) -> list[LineIn]:
    """Stored lines (an invoice's, an estimate's) as the input they were made from."""
    return [
        LineIn.model_validate(
            {k: line[k] for k in ("description", "quantity", "unit_price", "tax_rate")}
        )
        for line in stored
    ]


def reprice(priced: Any, lines: Sequence[LineIn] | None, currency: str) -> bool:
    """Set the lines (``None``: the stored ones), currency and totals of a draft invoice or
    estimate (``priced``); whether its lines or currency changed."""
    if lines is None and currency == priced.currency:
        return False
    stored, totals = checked_lines(lines if lines is not None else lines_in(priced.lines), currency)
    changed = (stored, currency) != (priced.lines, priced.currency)
    priced.lines, priced.currency = stored, currency
    priced.subtotal, priced.tax, priced.total = totals.subtotal, totals.tax, totals.total
    return changed


def client_today(client: ClientView, uow: UnitOfWork) -> date:
    return today_in(client.timezone, uow.clock.now())


def created_changes(entity: Any, fields: Sequence[str]) -> dict[str, audit.Change]:
    """The audit rows of a new entity (``audit.created``'s), for ``audit.record_many``."""
    return audit.diff(dict.fromkeys(fields), audit.state(entity, fields), fields)
