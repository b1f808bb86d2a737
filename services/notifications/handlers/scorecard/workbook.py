"""The scorecard as rows of text (JSON, CSV) and as an Excel workbook with native charts
(XlsxWriter): the KPI rows, revenue per manager (a column chart per currency) and the SLA
compliance trend (a line chart). Used by the API and by the scheduled reports alike."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from xlsxwriter.workbook import Workbook

from services.notifications.handlers.scorecard.report import COLUMNS, Scorecard
from shared import exports
from shared.exports import Amount, cell, write_table
from shared.money import format_amount, minor_unit

AMOUNTS = ("current", "previous", "year_ago", "change", "change_year")


def plain_rows(card: Scorecard) -> list[dict[str, Any]]:
    """The rows with numbers as exact decimal strings (amounts in their currency's minor
    unit; counts stay integers), ids as text."""
    out = []
    for row in card.rows:
        plain = {c: cell(row.get(c)) for c in COLUMNS}
        if row.get("currency"):
            for column in AMOUNTS:
                if isinstance(row.get(column), Decimal):
                    plain[column] = format_amount(row[column], row["currency"])
        out.append(plain)
    return out


def _amount(value: Decimal, currency: str) -> Amount:
    return Amount(Decimal(format_amount(value, currency)), minor_unit(currency))


def _cells(card: Scorecard) -> Iterator[list[Any]]:
    """The rows as workbook cells: amounts exact in their currency's minor unit (number cells
    with its decimals), other numbers as numbers."""
    for row in card.rows:
        cells = []
        for column in COLUMNS:
            value = row.get(column)
            if isinstance(value, Decimal):
                currency = row.get("currency")
                cells.append(
                    _amount(value, currency) if currency and column in AMOUNTS else float(value)
                )
            else:
                cells.append(cell(value))
        yield cells


def text_rows(card: Scorecard) -> Iterator[list[Any]]:
    """The rows as CSV fields (:func:`plain_rows`, in the order of the columns)."""
    for row in plain_rows(card):
        yield [row[c] for c in COLUMNS]


def write_workbook(book: Workbook, card: Scorecard) -> None:
    """The KPI rows (with a title line, frozen header and filter), revenue per manager with a
    column chart per currency, and the SLA compliance trend with a line chart."""
    sheet = book.add_worksheet("Scorecard")
    title = book.add_format({"bold": True})
    sheet.write_string(0, 0, f"{card.period} {card.span.label} ({card.timezone})", title)
    count = write_table(book, sheet, COLUMNS, _cells(card), first_row=1, widths=True)
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, count + 1, len(COLUMNS) - 1)

    revenue = book.add_worksheet("Revenue")
    currencies = sorted({c for _, money in card.revenue_by_manager for c in money})
    write_table(
        book,
        revenue,
        ["manager", *currencies],
        (
            [name, *(_amount(money.get(c, Decimal(0)), c) for c in currencies)]
            for name, money in card.revenue_by_manager
        ),
    )
    revenue.set_column(0, 0, 28)
    last = len(card.revenue_by_manager)
    for n, currency in enumerate(currencies):
        chart = book.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": ["Revenue", 0, n + 1],
                "categories": ["Revenue", 1, 0, max(last, 1), 0],
                "values": ["Revenue", 1, n + 1, max(last, 1), n + 1],
            }
        )
        chart.set_title({"name": f"Revenue invoiced per manager ({currency})"})
        chart.set_legend({"none": True})
        revenue.insert_chart(1 + n * 16, len(currencies) + 2, chart)

    sla = book.add_worksheet("SLA")
    write_table(
        book,
        sla,
        ["period", "sla_compliance"],
        ([label, None if value is None else float(value)] for label, value in card.sla_trend),
    )
    chart = book.add_chart({"type": "line"})
    chart.add_series(
        {
            "name": "SLA compliance, %",
            "categories": ["SLA", 1, 0, len(card.sla_trend), 0],
            "values": ["SLA", 1, 1, len(card.sla_trend), 1],
            "marker": {"type": "circle"},
        }
    )
    chart.set_title({"name": "SLA compliance trend"})
    chart.set_y_axis({"min": 0, "max": 100})
    sla.insert_chart(1, 3, chart)


def to_xlsx(card: Scorecard) -> bytes:
    """The workbook in memory (the scheduled report's attachment)."""
    return exports.workbook_bytes(lambda book: write_workbook(book, card))
