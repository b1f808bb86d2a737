"""The scorecard as rows of text (JSON, CSV) and as an Excel workbook with native charts
(XlsxWriter): the KPI rows, revenue per manager (a column chart per currency) and the SLA
compliance trend (a line chart). Used by the API and by the scheduled reports alike."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import xlsxwriter
from babel.numbers import get_currency_precision

from services.notifications.scorecard.report import COLUMNS, Scorecard


def _text(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


AMOUNTS = ("current", "previous", "year_ago", "change", "change_year")


def amount_text(value: Decimal, currency: str) -> str:
    """An amount with its currency's minor unit (ISO 4217, e.g. 2 for EUR, 0 for JPY)."""
    places = get_currency_precision(currency)
    return format(value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN), "f")


def plain_rows(card: Scorecard) -> list[dict[str, Any]]:
    """The rows with numbers as exact decimal strings (amounts in their currency's minor
    unit; counts stay integers), ids as text."""
    out = []
    for row in card.rows:
        plain = {c: _text(row.get(c)) for c in COLUMNS}
        if row.get("currency"):
            for column in AMOUNTS:
                if isinstance(row.get(column), Decimal):
                    plain[column] = amount_text(row[column], row["currency"])
        out.append(plain)
    return out


def to_csv(card: Scorecard) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(plain_rows(card))
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return _text(value)


def to_xlsx(card: Scorecard) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})

    sheet = book.add_worksheet("Scorecard")
    sheet.write_string(0, 0, f"{card.period} {card.span.label} ({card.timezone})", bold)
    for col, name in enumerate(COLUMNS):
        sheet.write_string(1, col, name, bold)
        sheet.set_column(col, col, max(12, len(name) + 2))
    for index, row in enumerate(card.rows, start=2):
        for col, name in enumerate(COLUMNS):
            value = row.get(name)
            if value is not None:
                sheet.write(index, col, _cell(value))
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, len(card.rows) + 1, len(COLUMNS) - 1)

    revenue = book.add_worksheet("Revenue")
    currencies = sorted({c for _, money in card.revenue_by_manager for c in money})
    revenue.write_string(0, 0, "manager", bold)
    for col, currency in enumerate(currencies, start=1):
        revenue.write_string(0, col, currency, bold)
    for line, (name, money) in enumerate(card.revenue_by_manager, start=1):
        revenue.write_string(line, 0, name)
        for col, currency in enumerate(currencies, start=1):
            revenue.write_number(line, col, float(money.get(currency, Decimal(0))))
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
    sla.write_string(0, 0, "period", bold)
    sla.write_string(0, 1, "sla_compliance", bold)
    for line, (label, value) in enumerate(card.sla_trend, start=1):
        sla.write_string(line, 0, label)
        if value is not None:
            sla.write_number(line, 1, float(value))
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
    book.close()
    return buffer.getvalue()
