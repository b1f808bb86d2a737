"""The table of an uploaded file: CSV (UTF-8, a BOM, its separator) or XLSX; what is refused."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from services.clients.api.uploads import read_table
from services.clients.domain.imports import BadFile


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_with_a_bom_and_any_of_the_separators(separator: str) -> None:
    text = separator.join(["external_id", "name"]) + "\r\n" + separator.join(["a-1", '"A, B"'])
    header, rows = read_table(("\ufeff" + text).encode(), 10)
    assert header == ["external_id", "name"] and rows == [["a-1", "A, B"]]


def test_xlsx_first_sheet() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["external_id", None])
    sheet.append(["a-1", 7])
    buffer = io.BytesIO()
    book.save(buffer)
    header, rows = read_table(buffer.getvalue(), 10)
    assert header == ["external_id", ""] and [list(r) for r in rows] == [["a-1", 7]]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        (b"name\n\xff\xfe", "not UTF-8"),
        (b"PK\x03\x04not a zip", "not a readable .xlsx"),
        (b"name\n1\n2\n3\n", "more than 2 rows"),
    ],
)
def test_refused(content: bytes, says: str) -> None:
    with pytest.raises(BadFile, match=says):
        read_table(content, 2)
