"""Three renderers of a report's rows: JSON (the default), CSV and an Excel workbook
(``?format=csv|xlsx`` or the matching ``Accept`` header), with a file name in
``Content-Disposition``.

Money stays exact: in JSON and CSV an amount is its decimal string with the currency's
minor unit; in Excel a number cell (formatted with the currency's decimals) when the amount
fits a double exactly, else its text (no float rounding slips in).
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import xlsxwriter
from fastapi import Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.billing.domain.money import format_amount, minor_unit
from services.billing.store.reports import Report

Format = Literal["json", "csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


class ReportOut(BaseModel):
    """A report: its parameters, its columns and its rows (amounts as decimal strings)."""

    report: str
    parameters: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]


def negotiate(format: Format | None, accept: str | None) -> Format:
    if format is not None:
        return format
    accept = (accept or "").lower()
    if XLSX in accept:
        return "xlsx"
    if CSV in accept:
        return "csv"
    return "json"


def _text(value: Any) -> Any:
    if isinstance(value, uuid.UUID | date | datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def plain_rows(report: Report) -> list[dict[str, Any]]:
    """The rows with amounts as strings in their currency's minor unit, ids and dates text."""
    rows = []
    for row in report.rows:
        out = {}
        for column in report.columns:
            value = row.get(column)
            if column in report.money and isinstance(value, Decimal) and row.get("currency"):
                out[column] = format_amount(value, row["currency"])
            else:
                out[column] = _text(value)
        rows.append(out)
    return rows


def render(report: Report, format: Format, today: date) -> Response:
    if format == "json":
        body = ReportOut(
            report=report.name,
            parameters={k: _text(v) for k, v in report.parameters.items()},
            columns=report.columns,
            rows=plain_rows(report),
        )
        return JSONResponse(body.model_dump(mode="json"))
    filename = f"{report.name}-{today.isoformat()}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=report.columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(plain_rows(report))
        return Response(buffer.getvalue(), media_type=f"{CSV}; charset=utf-8", headers=headers)
    return Response(_xlsx(report), media_type=XLSX, headers=headers)


def _exact_float(value: Decimal) -> bool:
    return Decimal(repr(float(value))) == value


def _xlsx(report: Report) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(report.name[:31])
    bold = workbook.add_format({"bold": True})
    formats: dict[int, Any] = {}
    for col, name in enumerate(report.columns):
        sheet.write_string(0, col, name, bold)
        sheet.set_column(col, col, max(12, len(name) + 2))
    for index, row in enumerate(report.rows, start=1):
        for col, name in enumerate(report.columns):
            value = row.get(name)
            currency = row.get("currency")
            if value is None:
                continue
            if name in report.money and isinstance(value, Decimal) and currency:
                places = minor_unit(currency)
                rounded = Decimal(format_amount(value, currency))
                if _exact_float(rounded):
                    if places not in formats:
                        pattern = "#,##0" + ("." + "0" * places if places else "")
                        formats[places] = workbook.add_format({"num_format": pattern})
                    sheet.write_number(index, col, float(rounded), formats[places])
                else:
                    sheet.write_string(index, col, format(rounded, "f"))
            elif isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(index, col, value)
            else:
                sheet.write_string(index, col, str(_text(value)))
    workbook.close()
    return buffer.getvalue()
