"""A report's rows as JSON (the default), CSV or an Excel workbook (``shared.exports``:
``?format=csv|xlsx`` or the matching ``Accept`` header), with a file name in
``Content-Disposition``.

Money stays exact: in JSON and CSV an amount is its decimal string with the currency's
minor unit; in Excel a number cell formatted with the currency's decimals when the amount
fits a double exactly, else its text (``shared.exports.Amount``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from services.billing.domain.reports import ReportName
from services.billing.store.reports import Report
from shared.exports import Amount, Format, cell, json_around, report_response
from shared.money import format_amount, minor_unit


class ReportOut(BaseModel):
    """A report: its parameters, its columns and its rows (amounts as decimal strings)."""

    report: ReportName
    parameters: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]


def _money_columns(report: Report) -> list[tuple[str, bool]]:
    """Each column with whether it holds money (looked up once per report: a head's has
    thousands of rows)."""
    return [(column, column in report.money) for column in report.columns]


def _cells(columns: list[tuple[str, bool]], row: dict[str, Any]) -> list[Any]:
    """A row's cells: an amount as an exact :class:`Amount` in its currency's minor unit, the
    other values as they are."""
    currency = row.get("currency")
    out: list[Any] = []
    for column, is_money in columns:
        value = row.get(column)
        if is_money and currency and isinstance(value, Decimal):
            value = Amount(Decimal(format_amount(value, currency)), minor_unit(currency))
        out.append(value)
    return out


def plain_rows(report: Report) -> list[dict[str, Any]]:
    """The rows with amounts as strings in their currency's minor unit, ids and dates text;
    a text, a number or nothing kept as it is without asking ``cell``."""
    columns = _money_columns(report)
    out = []
    for row in report.rows:
        currency = row.get("currency")
        plain: dict[str, Any] = {}
        for column, is_money in columns:
            value = row.get(column)
            if is_money and currency and isinstance(value, Decimal):
                plain[column] = format_amount(value, currency)
            elif value is None or type(value) in _AS_THEY_ARE:
                plain[column] = value
            else:
                plain[column] = cell(value)
        out.append(plain)
    return out


_AS_THEY_ARE = (str, int)  # what ``cell`` returns unchanged (not bool: "true"/"false")


def written_json(
    name: ReportName, parameters: dict[str, Any], columns: Sequence[str], rows: str
) -> Response:
    """A report's JSON (the document :func:`render` writes) around ``rows``, the JSON array of
    its rows the database wrote (``store/reports.py``: ``payment_discipline_json``)."""
    parameters = {k: cell(v) for k, v in parameters.items()}
    document = {"report": name, "parameters": parameters, "columns": list(columns)}
    return json_around(document, {"rows": rows})


async def render(
    report: Report, format: Format | None, accept: str | None, today: date
) -> Response:
    """The report as JSON, CSV or Excel (``shared.exports.report_response``); the workbook
    written at once, with a shared-string table (small reports; their readers look the
    strings up there)."""
    columns = _money_columns(report)
    return await report_response(
        format,
        accept,
        # built from the report's own rows: nothing to validate (a head's has thousands)
        body=lambda: ReportOut.model_construct(
            report=report.name,
            parameters={k: cell(v) for k, v in report.parameters.items()},
            columns=report.columns,
            rows=plain_rows(report),
        ),
        filename=f"{report.name}-{today.isoformat()}",
        header=report.columns,
        rows=(_cells(columns, row) for row in report.rows),
        sheet=report.name,
        widths=True,
        constant_memory=False,
    )
