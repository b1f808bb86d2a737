"""Imports (``POST /api/v1/imports``): which columns a file of each kind has, how its header
is mapped to them, and how a row's text cells become the body of the API's command. Pure.

A file is a table: a header row, then one data row per record. ``row`` numbers count the
data rows from 1 (the header is row 0). An empty cell is a field the row does not give: a new
record takes the API's default, an existing one keeps its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

ImportKind = Literal["staff", "clients", "contacts", "contracts", "invoices"]
ImportStatus = Literal["queued", "running", "succeeded", "failed"]
KINDS: tuple[ImportKind, ...] = ("staff", "clients", "contacts", "contracts", "invoices")
# The kinds whose records the billing service keeps: this service reads the file and finds
# each row's client; billing checks and writes the rows (``shared.imports``).
BILLING_KINDS = frozenset({"contracts", "invoices"})

# The columns of each kind: the fields of the API's command by their names, a reference to
# another record by its key instead of its id (``*_email``, ``client_external_id``).
COLUMNS: dict[str, tuple[str, ...]] = {
    "staff": (
        "external_id",
        "name",
        "email",
        "role",
        "department",
        "head_email",
        "timezone",
        "locale",
        "title",
    ),
    "clients": (
        "external_id",
        "name",
        "tier",
        "country",
        "timezone",
        "account_manager_email",
        "kind",
        "status",
        "status_reason",
        "segment",
        "tags",
        "locale",
        "greetings",
    ),
    "contacts": (
        "external_id",
        "client_external_id",
        "name",
        "email",
        "phone",
        "position",
        "roles",
        "birthday",
        "preferred_channel",
        "locale",
    ),
    # The fields of billing's POST /contracts (value and budget as amount and currency).
    "contracts": (
        "external_id",
        "client_external_id",
        "number",
        "title",
        "starts_on",
        "ends_on",
        "auto_renew",
        "renewal_notice_days",
        "payment_terms_days",
        "value_amount",
        "value_currency",
        "budget_amount",
        "budget_currency",
    ),
    # An open invoice: issued in Orbit as one line of ``amount`` (net) at ``tax_rate``, its
    # number in the old system kept as its ``external_number`` (``number``), the part of it
    # paid there already ``amount_paid``.
    "invoices": (
        "external_id",
        "client_external_id",
        "contract_number",
        "number",
        "issue_date",
        "due_date",
        "currency",
        "amount",
        "tax_rate",
        "description",
        "notes",
        "amount_paid",
    ),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "staff": ("external_id", "name", "email"),
    "clients": ("external_id", "name"),
    "contacts": ("external_id", "client_external_id", "name"),
    "contracts": ("external_id", "client_external_id", "number", "title", "starts_on", "ends_on"),
    "invoices": (
        "external_id",
        "client_external_id",
        "number",
        "issue_date",
        "currency",
        "amount",
    ),
}
# The cells every row needs: the keys the run upserts by (a missing name or email is the
# command's to refuse, as the API would).
KEYS: dict[str, tuple[str, ...]] = {
    "staff": ("external_id",),
    "clients": ("external_id",),
    "contacts": ("external_id", "client_external_id"),
    "contracts": ("external_id", "client_external_id"),
    "invoices": ("external_id", "client_external_id"),
}
# Cells holding several values (``"vip; renewal"``), and yes/no cells.
LIST_COLUMNS = frozenset({"tags", "roles"})
BOOL_COLUMNS = frozenset({"greetings"})
# The columns naming another record, and the field of the command each one fills.
REFERENCES: dict[str, str] = {
    "account_manager_email": "account_manager_id",
    "head_email": "head_id",
}
TRUE = frozenset({"true", "yes", "y", "1"})
FALSE = frozenset({"false", "no", "n", "0"})
# A run left "running" this long (its process died) is queued again.
STALE_AFTER_SECONDS = 15 * 60


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


class BadFile(ValueError):
    """The file cannot be imported at all (its header, its kind): a 422 naming ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def map_header(
    kind: str, header: Sequence[str], mapping: Mapping[str, str | None] | None = None
) -> list[str | None]:
    """The column of each position of ``header``: a file's name through ``mapping`` (``null``
    skips the column), else the name itself. Unknown, repeated or missing required columns
    raise :class:`BadFile`."""
    if kind not in COLUMNS:
        raise BadFile("kind", f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    mapping = dict(mapping or {})
    known = COLUMNS[kind]
    for name, target in mapping.items():
        if target is not None and target not in known:
            raise BadFile("mapping", f"{name!r} maps to {target!r}, not a column of {kind}")
    columns: list[str | None] = []
    for raw in header:
        name = (raw or "").strip()
        column = mapping.get(name, name)
        if column in (None, ""):
            columns.append(None)
            continue
        if column not in known:
            raise BadFile(
                "file",
                f"unknown column {name!r} for {kind}: the columns are {', '.join(known)} "
                "(or map it with mapping)",
            )
        if column in columns:
            raise BadFile("file", f"column {column!r} appears twice")
        columns.append(column)
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if missing:
        raise BadFile("file", f"missing column(s) {', '.join(missing)} for {kind}")
    return columns


def rows_of(columns: Sequence[str | None], cells: Iterable[Sequence[Any]]) -> list[dict[str, str]]:
    """The data rows as ``{column: text}``, cells stripped and empty ones left out (an empty
    row stays, as ``{}``, so the rows keep their numbers; trailing empty rows are dropped)."""
    rows: list[dict[str, str]] = []
    for line in cells:
        row: dict[str, str] = {}
        for column, value in zip(columns, line, strict=False):
            text = cell_text(value)
            if column is not None and text:
                row[column] = text
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def cell_text(value: Any) -> str:
    """A cell as text: spreadsheets give numbers (``42.0`` is ``"42"``) and booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):  # a date cell of a spreadsheet reads as a datetime
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def split_list(text: str) -> list[str]:
    """``"vip; renewal"`` or ``"vip, renewal"``: the values, stripped, empty ones left out."""
    separator = ";" if ";" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError("not a yes/no value (true, false, yes, no, 1, 0)")


def body_of(row: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str], list[RowError]]:
    """A row's command body (list and yes/no cells converted), its references
    (``{column: key}``: resolved by the caller), and the cells that could not be converted
    (their ``row`` is 0: the caller knows the row)."""
    body: dict[str, Any] = {}
    references: dict[str, str] = {}
    errors: list[RowError] = []
    for column, text in row.items():
        if column in REFERENCES or column == "client_external_id":
            references[column] = text
        elif column in LIST_COLUMNS:
            body[column] = split_list(text)
        elif column in BOOL_COLUMNS:
            try:
                body[column] = parse_bool(text)
            except ValueError as exc:
                errors.append(RowError(0, column, str(exc)))
        else:
            body[column] = text
    return body, references, errors


def column_of(loc: Sequence[Any], row: Mapping[str, str]) -> str | None:
    """The column a validation error of the command's body is about (``loc`` without the
    leading ``"body"``): the field, or the reference column that filled it."""
    path = [part for part in loc if part != "body"]
    if not path:
        return None
    field = str(path[0])
    for column, target in REFERENCES.items():
        if target == field and column in row:
            return column
    return field


def duplicate_keys(rows: Sequence[Mapping[str, str]]) -> list[RowError]:
    """A row repeating an ``external_id`` of an earlier row of the file."""
    seen: dict[str, int] = {}
    errors = []
    for number, row in enumerate(rows, start=1):
        key = row.get("external_id")
        if key is None:
            continue
        if key in seen:
            errors.append(
                RowError(number, "external_id", f"repeats the external_id of row {seen[key]}")
            )
        else:
            seen[key] = number
    return errors


def missing_keys(kind: str, number: int, row: Mapping[str, str]) -> list[RowError]:
    """The key cells a (non-empty) row leaves empty."""
    return [RowError(number, c, "required") for c in KEYS[kind] if c not in row]


def progress(processed: int, total: int) -> float:
    """The share of the rows done, 0..1 (an empty file is done)."""
    if total <= 0:
        return 1.0
    return round(min(processed, total) / total, 4)


def billing_rows(
    kind: str, rows: Sequence[Mapping[str, str]], client_ids: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """The rows of a billing kind as billing takes them (``shared.imports``: ``{"row",
    "client_id", "cells"}``, the client found by its ``external_id`` in ``client_ids``), and
    the rows that cannot go (a repeated or missing key, an unknown client)."""
    errors = duplicate_keys(rows)
    repeated = {e.row for e in errors}
    sent: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        if not row or number in repeated:
            continue
        missing = missing_keys(kind, number, row)
        if missing:
            errors += missing
            continue
        client_id = client_ids.get(row["client_external_id"])
        if client_id is None:
            errors.append(RowError(number, "client_external_id", "no client has this external_id"))
            continue
        cells = {c: text for c, text in row.items() if c != "client_external_id"}
        sent.append({"row": number, "client_id": str(client_id), "cells": cells})
    return sent, errors
