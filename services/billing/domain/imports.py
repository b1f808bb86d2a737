"""Imports of contracts and open invoices (``POST /api/v1/imports`` of the clients service,
run here: ``handlers/imports.py``): how a row's text cells become the bodies of this
service's commands, and which column an error of those bodies is about. Pure.

A row arrives as ``{column: text}`` (empty cells left out) with its client already found
(``client_external_id`` is the clients service's). The columns are the API's field names:

- contracts: ``number``, ``title``, ``starts_on``, ``ends_on``, ``auto_renew``,
  ``renewal_notice_days``, ``payment_terms_days`` as ``POST /contracts`` takes them, and its
  ``value`` and ``budget`` as ``value_amount``/``value_currency``, ``budget_amount``/
  ``budget_currency``;
- invoices (open ones): ``currency``, ``notes`` as ``POST /invoices``, ``issue_date`` and
  ``due_date`` as ``POST /invoices/{id}/issue``, one line of ``amount`` (net, quantity 1) at
  ``tax_rate`` (default 0) described by ``description`` (default "Invoice <number>"), the
  client's contract by its ``contract_number``, and ``number``: the invoice's number in the
  system it comes from, kept as its ``external_number`` (Orbit numbers it when it is issued
  here, gap-free like any other); ``amount_paid``: the part of it paid there already (the
  invoice arrives partly paid: :func:`amount_paid`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from shared.money import InvalidAmount, check_amount, format_amount, to_decimal

# The money fields of a contract and their two columns each.
MONEY_COLUMNS: dict[str, tuple[str, str]] = {
    "value": ("value_amount", "value_currency"),
    "budget": ("budget_amount", "budget_currency"),
}
# A known contract's start is renewed, not edited (``ContractPatch`` has no ``starts_on``).
FIXED = ("starts_on", "external_id")
# The cells an invoice row needs beyond its keys (the commands have defaults for them).
INVOICE_REQUIRED = ("number", "issue_date", "currency", "amount")
# The column of each field of an invoice's line.
LINE_COLUMNS = {
    "unit_price": "amount",
    "quantity": "amount",
    "tax_rate": "tax_rate",
    "description": "description",
}
# The column a rule about the whole body (no field named) is about.
ROOT_COLUMN = {"contracts": "ends_on", "invoices": "due_date"}


# A bad row as the clients service reports it: ``{"row", "column", "reason"}``.
RowError = dict[str, Any]


def row_error(row: int, column: str | None, reason: str) -> RowError:
    return {"row": row, "column": column, "reason": reason}


def _fields(cells: Mapping[str, str], leave_out: Sequence[str]) -> dict[str, Any]:
    """The cells as the command's fields: the money columns as ``{amount, currency}``, the
    other columns by their names (the command refuses one it does not have)."""
    money = {c for pair in MONEY_COLUMNS.values() for c in pair}
    body: dict[str, Any] = {
        c: text for c, text in cells.items() if c not in money and c not in leave_out
    }
    for field, (amount, currency) in MONEY_COLUMNS.items():
        if amount in cells or currency in cells:
            body[field] = {
                k: cells[c] for k, c in (("amount", amount), ("currency", currency)) if c in cells
            }
    return body


def contract_body(client_id: str, cells: Mapping[str, str]) -> dict[str, Any]:
    """The body of ``ContractIn`` (a new contract)."""
    return {"client_id": client_id, **_fields(cells, ("external_id",))}


def contract_patch(cells: Mapping[str, str]) -> dict[str, Any]:
    """The body of ``ContractPatch`` (a known contract: its empty cells keep their values;
    ``starts_on`` is compared by the caller)."""
    return _fields(cells, FIXED)


def invoice_bodies(
    client_id: str, contract_id: str | None, cells: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bodies of ``InvoiceIn`` (the draft) and ``IssueIn`` (its issue) of a new invoice."""
    line: dict[str, Any] = {
        "description": cells.get("description") or f"Invoice {cells.get('number', '')}".strip(),
        "quantity": "1",
        "tax_rate": cells.get("tax_rate", "0"),
    }
    if "amount" in cells:
        line["unit_price"] = cells["amount"]
    draft: dict[str, Any] = {"client_id": client_id, "lines": [line]}
    if contract_id is not None:
        draft["contract_id"] = contract_id
    for field in ("currency", "notes"):
        if field in cells:
            draft[field] = cells[field]
    issue = {f: cells[f] for f in ("issue_date", "due_date") if f in cells}
    return draft, issue


def amount_paid(cells: Mapping[str, str], total: Decimal, currency: str) -> Decimal:
    """What was paid on an imported open invoice of ``total`` before it came (its
    ``amount_paid`` cell; none: 0): an amount of the currency, less than the total (a paid
    invoice is not an open one). A broken rule: :class:`~shared.money.MoneyError`."""
    if "amount_paid" not in cells:
        return Decimal(0)
    column = "amount_paid"
    paid = check_amount(to_decimal(cells[column].strip(), column), currency, column)
    if paid >= total:
        raise InvalidAmount(
            f"amount_paid must be less than the invoice's total, {format_amount(total, currency)}"
            " (a paid invoice is not imported)"
        )
    return paid


def missing_cells(kind: str, number: int, cells: Mapping[str, str]) -> list[RowError]:
    """The cells an invoice row must give (a contract's are the command's to require)."""
    if kind != "invoices":
        return []
    return [row_error(number, c, "required") for c in INVOICE_REQUIRED if c not in cells]


def column_of(kind: str, loc: Sequence[Any]) -> str | None:
    """The column an error of a command's body at ``loc`` (``"body"`` left out) is about."""
    path = [str(part) for part in loc if part != "body"]
    if not path:
        return ROOT_COLUMN.get(kind)
    head = path[0]
    if head in MONEY_COLUMNS:
        amount, currency = MONEY_COLUMNS[head]
        return currency if len(path) > 1 and path[1] == "currency" else amount
    if head == "lines":
        return LINE_COLUMNS.get(path[2], "amount") if len(path) > 2 else "amount"
    if head == "client_id":
        return "client_external_id"
    if head == "contract_id":
        return "contract_number"
    return head


def changed_columns(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """The columns of a row whose value (``wanted``, None: the row leaves it out) differs
    from the record's (``current``): an issued invoice cannot change."""
    return [c for c, value in wanted.items() if value is not None and current.get(c) != value]


def same_day(text: str, day: date) -> bool:
    """Whether a date cell names ``day`` (a cell that is no date does not)."""
    try:
        return date.fromisoformat(text.strip()) == day
    except ValueError:
        return False


def one_per_column(errors: Sequence[RowError]) -> list[RowError]:
    """A row's errors, the first of each column only (a missing cell is "required" once, not
    again as the command's missing field)."""
    seen: set[str | None] = set()
    kept = []
    for error in errors:
        if error["column"] not in seen:
            seen.add(error["column"])
            kept.append(error)
    return kept
