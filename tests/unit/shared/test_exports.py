"""The one renderer of the reports' CSV and Excel: negotiation, values shown as cells (ids,
dates, decimals, booleans as text), CSV lines (streamed, CRLF, exact amounts), workbook cells
by type (money exact with its minor-unit format, text never a formula), the streamed workbook
and the in-memory one, and the one report convention (JSON, CSV or Excel, named files)."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from pydantic import BaseModel

from shared.exports import (
    CSV,
    XLSX,
    Amount,
    cell,
    csv_field,
    csv_lines,
    csv_response,
    json_around,
    negotiate,
    report_response,
    safe_text,
    table,
    workbook_bytes,
    write_table,
    xlsx_response,
)


@pytest.mark.parametrize(
    ("format", "accept", "chosen"),
    [
        ("csv", XLSX, "csv"),
        (None, XLSX, "xlsx"),
        (None, f"{CSV}, */*", "csv"),
        (None, "TEXT/CSV", "csv"),
        (None, "application/json", "json"),
        (None, None, "json"),
    ],
)
def test_negotiation(format: Any, accept: str | None, chosen: str) -> None:
    assert negotiate(format, accept) == chosen


def test_csv_lines_stream_one_row_at_a_time() -> None:
    rows = [["a,b", Amount(Decimal("1000.50"), 2), None, 3], ['say "hi"', Amount(Decimal(7), 0)]]
    lines = list(csv_lines(["text", "amount", "empty", "n"], rows))
    assert lines == ["text,amount,empty,n\r\n", '"a,b",1000.50,,3\r\n', '"say ""hi""",7\r\n']


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+7 495 000", "'+7 495 000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_text_that_begins_like_a_formula_is_neutralised(text: str, safe: str) -> None:
    assert safe_text(text) == safe


def test_only_text_is_neutralised_numbers_and_money_stay_numbers() -> None:
    assert csv_field(Amount(Decimal("-12.50"), 2)) == "-12.50"
    assert csv_field(Decimal("-3.1")) == "-3.1"
    assert csv_field(-4) == -4
    assert csv_field(date(2026, 1, 2)) == "2026-01-02"
    assert csv_field("-x") == "'-x"
    lines = list(csv_lines(["a", "b"], [['=HYPERLINK("http://evil")', Amount(Decimal(-1), 0)]]))
    assert lines[1] == '"\'=HYPERLINK(""http://evil"")",-1\r\n'


def _sheet(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content)).active


def test_cells_by_type() -> None:
    rows = [
        [
            '=HYPERLINK("http://evil")',
            Amount(Decimal("1234.50"), 2),
            Amount(Decimal("0.1000000000000000055511151231257827"), 3),
            Amount(Decimal(5), 0),
            7,
            2.5,
            True,
            None,
            "http://example.com",
        ]
    ]
    content = workbook_bytes(table("a-very-long-report-name-of-more-than-31", ["h"] * 9, rows))
    sheet = _sheet(content)
    assert sheet.title == "a-very-long-report-name-of-more"
    header, row = (list(r) for r in sheet.iter_rows())
    assert [c.value for c in header] == ["h"] * 9 and header[0].font.b
    assert row[0].data_type == "s" and row[0].value == '=HYPERLINK("http://evil")'
    assert (row[1].value, row[1].number_format) == (1234.5, "#,##0.00")
    # an amount no double holds exactly stays text, never rounded
    assert row[2].value == "0.1000000000000000055511151231257827"
    assert (row[3].value, row[3].number_format) == (5, "#,##0")
    assert (row[4].value, row[5].value) == (7, 2.5)
    assert row[6].value == "true"  # a boolean as every report shows it (cell)
    assert row[7].value is None
    assert row[8].value == "http://example.com" and row[8].hyperlink is None


def test_a_table_below_a_title_with_column_widths() -> None:
    def build(book: Any) -> None:
        sheet = book.add_worksheet("S")
        sheet.write_string(0, 0, "title")
        assert (
            write_table(
                book, sheet, ["name", "n"], iter([["x", 1], ["y", 2]]), first_row=1, widths=True
            )
            == 2
        )

    sheet = _sheet(workbook_bytes(build))
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [
        ["title", None],
        ["name", "n"],
        ["x", 1],
        ["y", 2],
    ]
    assert sheet.column_dimensions["A"].width >= 12


async def _body(response: Any) -> bytes:
    chunks = [c if isinstance(c, bytes) else c.encode() async for c in response.body_iterator]
    return b"".join(chunks)


async def test_responses_stream_with_a_file_name() -> None:
    response = csv_response("r.csv", ["a"], iter([[1], [2]]))
    assert response.media_type == f"{CSV}; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="r.csv"'
    assert await _body(response) == b"a\r\n1\r\n2\r\n"

    response = await xlsx_response("r.xlsx", table("r", ["a"], [[Amount(Decimal("2.50"), 2)]]))
    assert response.media_type == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="r.xlsx"'
    sheet = _sheet(await _body(response))
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [["a"], [2.5]]


def test_values_are_shown_as_cells() -> None:
    ident = uuid.UUID(int=7)
    at = datetime(2001, 2, 3, 9, 30, tzinfo=UTC)  # formatting only: no clock
    money = Amount(Decimal("2.50"), 2)
    values = [None, ident, at, date(2000, 2, 29), True, False, Decimal("1E+2"), 3, 0.5, "x", money]
    assert [cell(v) for v in values] == [
        None,
        "00000000-0000-0000-0000-000000000007",
        "2001-02-03T09:30:00+00:00",
        "2000-02-29",
        "true",
        "false",
        "100",
        3,
        0.5,
        "x",
        money,
    ]
    assert list(csv_lines(["a", "b", "c"], [[ident, True, None]]))[1] == (
        "00000000-0000-0000-0000-000000000007,true,\r\n"
    )


class Probe(BaseModel):
    total: int


@pytest.mark.parametrize(
    ("format", "accept", "media", "filename"),
    [
        (None, None, "application/json", None),
        ("csv", XLSX, f"{CSV}; charset=utf-8", "probe-1.csv"),
        (None, XLSX, XLSX, "probe-1.xlsx"),
    ],
)
async def test_a_report_answers_the_format_asked_for(
    format: Any, accept: str | None, media: str, filename: str | None
) -> None:
    response = await report_response(
        format,
        accept,
        body=lambda: Probe(total=2),
        filename="probe-1",
        header=["n", "when"],
        rows=iter([[1, date(2001, 1, 2)], [2, None]]),
        sheet="probe",
    )
    assert response.media_type == media
    if filename is None:
        assert json.loads(bytes(response.body)) == {"total": 2}
        return
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
    body = await _body(response)
    if media == XLSX:
        book = openpyxl.load_workbook(io.BytesIO(body))
        assert book.sheetnames == ["probe"]
        rows = [[c.value for c in r] for r in book["probe"].iter_rows()]
        assert rows == [["n", "when"], [1, "2001-01-02"], [2, None]]
    else:
        assert body == b"n,when\r\n1,2001-01-02\r\n2,\r\n"


def test_json_around_puts_the_rows_the_database_wrote_in_the_document() -> None:
    at = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    rows = '[{"id" : 1, "name" : "Ünal \\"Co\\""}, {"id" : 2, "name" : null}]'
    body = bytes(json_around({"as_of": at}, {"items": rows, "more": "[]"}).body)
    assert json.loads(body) == {
        "as_of": "2031-03-04T09:00:00Z",
        "items": [{"id": 1, "name": 'Ünal "Co"'}, {"id": 2, "name": None}],
        "more": [],
    }
    assert list(json.loads(body)) == ["as_of", "items", "more"]
    assert json.loads(bytes(json_around({}, {"rows": "[]"}).body)) == {"rows": []}
    assert json.loads(bytes(json_around({}, {"a": "[1]", "b": "[2]"}).body)) == {
        "a": [1],
        "b": [2],
    }
    assert json.loads(bytes(json_around({"n": 1}, {}).body)) == {"n": 1}
