"""The one report convention and the one renderer of a report's rows as CSV or an Excel
workbook (CONTRACT.md "Reports and exports": ``?format=csv|xlsx`` or the matching ``Accept``
header, a file name in ``Content-Disposition``; JSON, the default, is each report's own
model): :func:`report_response` answers a report in the format asked for.

A value is shown as :func:`cell` says (ids, instants and dates, decimals, booleans as text; in
a report's JSON rows too), then written by its type:

- ``None``: an empty field in CSV, no cell in Excel;
- :class:`Amount` (money, exact): its decimal string in CSV; in Excel a number cell with the
  currency's minor-unit format when the amount fits a double exactly, else its text (no float
  rounding slips in);
- ``int``/``float`` (not ``bool``): a number cell in Excel;
- anything else: text (``str``), in Excel always a string cell (``write_string``: a value
  starting with ``=`` is never a formula, a URL never a link); in CSV a text that begins
  with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is neutralised with a leading
  single quote (:func:`safe_text`, OWASP "CSV injection"), so a spreadsheet opening the file
  shows it as text and runs nothing. Only text is: numbers, money, dates and ids (whose
  shown form may begin with ``-``) stay as they are.

CSV (the ``csv`` module, CRLF) is streamed row by row. A workbook (XlsxWriter) answering a
request is written to a temporary file, off the event loop, and
streamed from it (in constant-memory mode unless asked otherwise); :func:`workbook_bytes`
writes one in memory (an email's attachment).
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import xlsxwriter
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from pydantic_core import to_json
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

Format = Literal["json", "csv", "xlsx"]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The OpenAPI ``responses`` of an operation that also answers CSV and Excel.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            CSV: {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        }
    }
}
CHUNK = 64 * 1024
Build = Callable[[Workbook], None]


@dataclass(frozen=True)
class Amount:
    """A money cell: ``value`` already rounded to ``places``, its currency's minor unit."""

    value: Decimal
    places: int

    @property
    def text(self) -> str:
        return format(self.value, "f")


def cell(value: Any) -> Any:
    """A value as a report shows it: instants and dates in ISO 8601, ids as text, booleans
    ``true``/``false``, decimals as their exact string; ``None``, numbers, text and
    :class:`Amount` as they are."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def negotiate(format: Format | None, accept: str | None) -> Format:
    """``?format=`` wins; else the ``Accept`` header (the Excel type, or CSV); else JSON."""
    if format is not None:
        return format
    accept = (accept or "").lower()
    if XLSX in accept:
        return "xlsx"
    if CSV in accept:
        return "csv"
    return "json"


def disposition(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


# ---------------------------------------------------------------- CSV

# What makes a spreadsheet read a CSV field as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """``text`` as a CSV field a spreadsheet shows as text: a leading single quote when it
    begins like a formula (:data:`FORMULA_STARTS`), else unchanged."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_field(value: Any) -> Any:
    """One CSV field: money as its exact decimal, text made safe (:func:`safe_text`), the
    rest as :func:`cell` shows it."""
    if isinstance(value, Amount):
        return value.text
    if isinstance(value, str):
        return safe_text(value)
    return cell(value)


def _csv_writer() -> Callable[[Iterable[Any]], str]:
    """A function making one CSV line (CRLF) of its values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values: Iterable[Any]) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    return line


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The header, then each row, one CSV line at a time."""
    line = _csv_writer()
    yield line(header)
    for row in rows:
        yield line(csv_field(v) for v in row)


async def csv_lines_of(
    header: Sequence[str], rows: AsyncIterator[Sequence[Any]]
) -> AsyncIterator[str]:
    """:func:`csv_lines` of rows read as they are sent (a list read page by page)."""
    line = _csv_writer()
    yield line(header)
    async for row in rows:
        yield line(csv_field(v) for v in row)


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingResponse:
    return StreamingResponse(
        csv_lines(header, rows), media_type=f"{CSV}; charset=utf-8", headers=disposition(filename)
    )


# ---------------------------------------------------------------- Excel


def _exact_float(value: Decimal) -> bool:
    return Decimal(repr(float(value))) == value


def write_table(
    book: Workbook,
    sheet: Worksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    first_row: int = 0,
    widths: bool = False,
) -> int:
    """The header (bold) at ``first_row`` and the rows below it, each cell by its type (the
    module's rule); ``widths``: each column at least 12 characters or its header's width.
    Returns how many rows were written (the header not counted)."""
    bold = book.add_format({"bold": True})
    money: dict[int, Any] = {}
    for col, name in enumerate(header):
        sheet.write_string(first_row, col, name, bold)
        if widths:
            sheet.set_column(col, col, max(12, len(name) + 2))
    count = 0
    for count, row in enumerate(rows, start=1):
        line = first_row + count
        for col, value in enumerate(map(cell, row)):
            if value is None:
                continue
            if isinstance(value, Amount):
                if not _exact_float(value.value):
                    sheet.write_string(line, col, value.text)
                    continue
                if value.places not in money:
                    decimals = "." + "0" * value.places if value.places else ""
                    money[value.places] = book.add_format({"num_format": "#,##0" + decimals})
                sheet.write_number(line, col, float(value.value), money[value.places])
            elif isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(line, col, value)
            else:
                sheet.write_string(line, col, str(value))
    return count


def table(
    sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]], **options: Any
) -> Build:
    """A workbook of one sheet: the table of ``header`` and ``rows`` (:func:`write_table`)."""

    def build(book: Workbook) -> None:
        write_table(book, book.add_worksheet(sheet[:31]), header, rows, **options)

    return build


def workbook_bytes(build: Build) -> bytes:
    """The workbook ``build`` writes, in memory."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    try:
        build(book)
    finally:
        book.close()
    return buffer.getvalue()


def _write_file(path: str, build: Build, constant_memory: bool) -> None:
    book = xlsxwriter.Workbook(path, {"constant_memory": constant_memory})
    try:
        build(book)
    finally:
        book.close()


def _stream_file(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


async def xlsx_response(
    filename: str, build: Build, *, constant_memory: bool = True
) -> StreamingResponse:
    """The workbook ``build`` writes (to a temporary file, off the event loop), streamed.
    ``constant_memory``: a row at a time, its strings in-line; else the whole sheet in memory
    with a shared-string table (what XlsxWriter writes by default)."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await asyncio.to_thread(_write_file, path, build, constant_memory)
    except BaseException:
        os.unlink(path)
        raise
    return StreamingResponse(_stream_file(path), media_type=XLSX, headers=disposition(filename))


# ---------------------------------------------------------------- the convention


async def list_export(
    format: Literal["csv", "xlsx"],
    filename: str,
    header: Sequence[str],
    rows: AsyncIterator[Sequence[Any]],
) -> Response:
    """A list as ``<filename>.csv`` (streamed as its rows are read) or ``<filename>.xlsx``
    (its rows read, then the workbook written off the event loop and streamed)."""
    if format == "csv":
        return StreamingResponse(
            csv_lines_of(header, rows),
            media_type=f"{CSV}; charset=utf-8",
            headers=disposition(f"{filename}.csv"),
        )
    collected = [row async for row in rows]
    return await xlsx_response(f"{filename}.xlsx", table(filename, header, collected))


def json_around(document: dict[str, Any], written: Mapping[str, str]) -> Response:
    """A JSON response: ``document`` (made JSON here) and then each key of ``written``
    holding its JSON, written by the database (a head's report of thousands of rows, not
    decoded and written again)."""
    body = to_json(document)[:-1]
    for key, value in written.items():
        body += (b"," if body != b"{" else b"") + to_json(key) + b":" + value.encode()
    return Response(body + b"}", media_type="application/json")


async def report_response(
    format: Format | None,
    accept: str | None,
    *,
    body: Callable[[], BaseModel | bytes],
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    workbook: Build | None = None,
    sheet: str | None = None,
    widths: bool = False,
    constant_memory: bool = True,
) -> Response:
    """A report in the format asked for (:func:`negotiate`): ``body()`` as JSON (a model, or
    its JSON already made), or ``header`` and ``rows`` as ``<filename>.csv``, or
    ``<filename>.xlsx``: the workbook ``workbook`` writes, by default one sheet (``sheet``,
    else the file name) holding the table (:func:`table`; ``widths``). ``constant_memory``:
    see :func:`xlsx_response`."""
    chosen = negotiate(format, accept)
    if chosen == "json":
        made = body()
        if isinstance(made, BaseModel):
            made = made.model_dump_json(by_alias=True).encode()
        return Response(made, media_type="application/json")
    if chosen == "csv":
        return csv_response(f"{filename}.csv", header, rows)
    build = workbook or table(sheet or filename, header, rows, widths=widths)
    return await xlsx_response(f"{filename}.xlsx", build, constant_memory=constant_memory)
