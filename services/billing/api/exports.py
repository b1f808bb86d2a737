"""A report's rows as JSON (the default), CSV or an Excel workbook (``shared.exports``:
``?format=csv|xlsx`` or the matching ``Accept`` header), with a file name in
``Content-Disposition``.

Money stays exact: in JSON and CSV an amount is its decimal string with the currency's
minor unit; in Excel a number cell formatted with the currency's decimals when the amount
fits a double exactly, else its text (``shared.exports.Amount``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.billing.domain.reports import ReportName
from services.billing.store.reports import Report
from shared.exports import Amount, Format, csv_response, table, xlsx_response
from shared.money import format_amount, minor_unit


class ReportOut(BaseModel):
    """A report: its parameters, its columns and its rows (amounts as decimal strings)."""

    report: ReportName
    parameters: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]


def _text(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date | datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _cells(report: Report, row: dict[str, Any]) -> list[Any]:
    """A row's cells: an amount (a money column with the row's currency) as an exact
    :class:`Amount` in its currency's minor unit, ids, dates and other decimals as text."""
    out = []
    for column in report.columns:
        value = row.get(column)
        currency = row.get("currency")
        if column in report.money and isinstance(value, Decimal) and currency:
            out.append(Amount(Decimal(format_amount(value, currency)), minor_unit(currency)))
        else:
            out.append(_text(value))
    return out


def plain_rows(report: Report) -> list[dict[str, Any]]:
    """The rows with amounts as strings in their currency's minor unit, ids and dates text."""
    return [
        {
            column: value.text if isinstance(value, Amount) else value
            for column, value in zip(report.columns, _cells(report, row), strict=True)
        }
        for row in report.rows
    ]


async def render(report: Report, format: Format, today: date) -> Response:
    if format == "json":
        body = ReportOut(
            report=report.name,
            parameters={k: _text(v) for k, v in report.parameters.items()},
            columns=report.columns,
            rows=plain_rows(report),
        )
        return JSONResponse(body.model_dump(mode="json"))
    filename = f"{report.name}-{today.isoformat()}.{format}"
    cells = (_cells(report, row) for row in report.rows)
    if format == "csv":
        return csv_response(filename, report.columns, cells)
    # the whole sheet at once, with a shared-string table (small reports; their readers
    # look the strings up there)
    return await xlsx_response(
        filename,
        table(report.name, report.columns, cells, widths=True),
        constant_memory=False,
    )
