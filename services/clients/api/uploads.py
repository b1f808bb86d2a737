"""The table of an uploaded file: CSV (UTF-8, comma, semicolon or tab separated) or XLSX
(its first sheet, read with openpyxl). The first row is the header."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from openpyxl import load_workbook

from services.clients.domain.imports import BadFile

XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip archive
SEPARATORS = ",;\t"


def read_table(content: bytes, max_rows: int) -> tuple[list[str], list[Sequence[Any]]]:
    """The header and the data rows (at most ``max_rows``, else :class:`BadFile`)."""
    lines = _xlsx_rows(content) if content.startswith(XLSX_MAGIC) else _csv_rows(content)
    try:
        header = next(lines)
    except StopIteration:
        raise BadFile("file", "the file is empty: a header row is needed") from None
    rows: list[Sequence[Any]] = []
    for line in lines:
        rows.append(line)
        if len(rows) > max_rows:
            raise BadFile("file", f"more than {max_rows} rows: split the file")
    return [str(cell) if cell is not None else "" for cell in header], rows


def _csv_rows(content: bytes) -> Iterator[Sequence[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile("file", f"not UTF-8 text (byte {exc.start}) nor an .xlsx file") from None
    first = text.split("\n", 1)[0]
    separator = max(SEPARATORS, key=first.count)
    try:
        yield from csv.reader(io.StringIO(text), delimiter=separator)
    except csv.Error as exc:
        raise BadFile("file", f"not a readable CSV file: {exc}") from None


def _xlsx_rows(content: bytes) -> Iterator[Sequence[Any]]:
    # A damaged archive fails in many ways (zip, XML, openpyxl's own checks): all are 422s.
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise BadFile("file", f"not a readable .xlsx file: {type(exc).__name__}") from None
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    except Exception as exc:
        raise BadFile("file", f"not a readable .xlsx file: {type(exc).__name__}") from None
    finally:
        book.close()
