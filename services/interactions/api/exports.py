"""Renderers of the reports: the same rows as JSON (the report's model), CSV or an Excel
workbook (CONTRACT.md "Reports and exports"): ``?format=csv|xlsx`` or the matching ``Accept``
header, with a file name in ``Content-Disposition``.

CSV is streamed row by row. The workbook is written by XlsxWriter in constant-memory mode (a
row at a time to a temporary file, off the event loop) and streamed from that file.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Literal

import xlsxwriter
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

Format = Literal["json", "csv", "xlsx"]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Column = tuple[str, Callable[[dict[str, Any]], Any]]
CHUNK = 64 * 1024


def wanted_format(request: Request, format: Format | None) -> Format:
    """``?format=`` wins; else the ``Accept`` header (CSV or the Excel type); else JSON."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if XLSX in accept:
        return "xlsx"
    if CSV in accept:
        return "csv"
    return "json"


def cell(value: Any) -> Any:
    """A value as a cell: instants and dates in ISO 8601, ids as text, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _disposition(name: str, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.{extension}"'}


def csv_lines(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([header for header, _ in columns])
    yield flush()
    for row in rows:
        writer.writerow([cell(get(row)) for _, get in columns])
        yield flush()


def write_workbook(
    path: str, sheet: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]]
) -> None:
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    try:
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        for col, (header, _) in enumerate(columns):
            worksheet.write_string(0, col, header, bold)
        for number, row in enumerate(rows, start=1):
            for col, (_, get) in enumerate(columns):
                value = cell(get(row))
                if isinstance(value, (int, float)):
                    worksheet.write_number(number, col, value)
                else:
                    worksheet.write_string(number, col, str(value))
    finally:
        workbook.close()


def _stream_file(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


async def render(
    request: Request,
    format: Format | None,
    *,
    name: str,
    body: BaseModel,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
) -> Response:
    """``body`` as JSON, or ``rows`` (one per line, ``columns`` in order) as CSV or Excel."""
    chosen = wanted_format(request, format)
    if chosen == "csv":
        return StreamingResponse(
            csv_lines(columns, rows),
            media_type=f"{CSV}; charset=utf-8",
            headers=_disposition(name, "csv"),
        )
    if chosen == "xlsx":
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            await asyncio.to_thread(write_workbook, path, name, columns, rows)
        except BaseException:
            os.unlink(path)
            raise
        return StreamingResponse(
            _stream_file(path), media_type=XLSX, headers=_disposition(name, "xlsx")
        )
    return Response(body.model_dump_json(by_alias=True), media_type="application/json")
