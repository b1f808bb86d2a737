"""The reports' rows as JSON (the report's model), CSV or an Excel workbook
(``shared.exports``: ``?format=csv|xlsx`` or the matching ``Accept`` header): a column is a
header and how to read its value from a row; a value is shown as ``shared.exports.cell``
says."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from shared.exports import Format, report_response

Column = tuple[str, Callable[[dict[str, Any]], Any]]


async def render(
    request: Request,
    format: Format | None,
    *,
    name: str,
    body: BaseModel | bytes,
    columns: Sequence[Column],
    rows: Sequence[dict[str, Any]],
) -> Response:
    """``body`` as JSON (a model, or its JSON already made), or ``rows`` (one per line,
    ``columns`` in order) as CSV or Excel (``shared.exports.report_response``)."""
    return await report_response(
        format,
        request.headers.get("accept"),
        body=lambda: body,
        filename=name,
        header=[title for title, _ in columns],
        rows=([get(row) for _, get in columns] for row in rows),
    )
