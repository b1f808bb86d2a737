"""A report's rows as JSON (the default), CSV or an Excel workbook (``shared.exports``:
``?format=csv|xlsx`` or the matching ``Accept`` header), with a file name in
``Content-Disposition``.

Money stays exact: in JSON and CSV an amount is its decimal string with the currency's
minor unit; in Excel a number cell formatted with the currency's decimals when the amount
fits a double exactly, else its text (``shared.exports.Amount``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import Response
from pydantic import BaseModel

from services.billing.domain.reports import ReportName
from services.billing.store.reports import Report
from shared.exports import Amount, Format, cell, report_response
from shared.money import format_amount, minor_unit


class ReportOut(BaseModel):
    """A report: its parameters, its columns and its rows (amounts as decimal strings)."""

    report: ReportName
    parameters: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]


def _cells(report: Report, row: dict[str, Any]) -> list[Any]:
    """A row's cells: an amount (a money column with the row's currency) as an exact
    :class:`Amount` in its currency's minor unit, the other values as they are."""
    out: list[Any] = []
    for column in report.columns:
        value = row.get(column)
        currency = row.get("currency")
        if column in report.money and isinstance(value, Decimal) and currency:
            out.append(Amount(Decimal(format_amount(value, currency)), minor_unit(currency)))
        else:
            out.append(value)
    return out


def plain_rows(report: Report) -> list[dict[str, Any]]:
    """The rows with amounts as strings in their currency's minor unit (``format_amount``, the
    text of :func:`_cells`' :class:`Amount`), ids and dates text."""
    money, out = report.money, []
    for row in report.rows:
        currency = row.get("currency")
        plain = {}
        for column in report.columns:
            value = row.get(column)
            if column in money and isinstance(value, Decimal) and currency:
                plain[column] = format_amount(value, currency)
            else:
                plain[column] = cell(value)
        out.append(plain)
    return out


async def render(
    report: Report, format: Format | None, accept: str | None, today: date
) -> Response:
    """The report as JSON, CSV or Excel (``shared.exports.report_response``); the workbook
    written at once, with a shared-string table (small reports; their readers look the
    strings up there)."""
    return await report_response(
        format,
        accept,
        body=lambda: ReportOut(
            report=report.name,
            parameters={k: cell(v) for k, v in report.parameters.items()},
            columns=report.columns,
            rows=plain_rows(report),
        ),
        filename=f"{report.name}-{today.isoformat()}",
        header=report.columns,
        rows=(_cells(report, row) for row in report.rows),
        sheet=report.name,
        widths=True,
        constant_memory=False,
    )
