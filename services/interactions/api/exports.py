"""The reports' rows as JSON (the report's model), CSV or an Excel workbook
(``shared.exports``: ``?format=csv|xlsx`` or the matching ``Accept`` header): a column is a
header and how to read its value from a row; a value is shown as :func:`cell` says."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from shared.exports import CSV, XLSX, Format, csv_response, negotiate, table, xlsx_response

__all__ = ["CSV", "XLSX", "Column", "Format", "cell", "render"]

Column = tuple[str, Callable[[dict[str, Any]], Any]]


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
    if isinstance(value, Decimal):
        return str(value)
    return value


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
    chosen = negotiate(format, request.headers.get("accept"))
    if chosen == "json":
        return Response(body.model_dump_json(by_alias=True), media_type="application/json")
    header = [title for title, _ in columns]

    def cells() -> Iterator[list[Any]]:
        for row in rows:
            yield [cell(get(row)) for _, get in columns]

    if chosen == "csv":
        return csv_response(f"{name}.csv", header, cells())
    return await xlsx_response(f"{name}.xlsx", table(name, header, cells()))
