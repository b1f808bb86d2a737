"""What an email carries besides its text: the document another service renders, named on the
delivery (``document``: ``invoice_pdf:<invoice id>``) and fetched when the email is sent
(``shared.documents``), and the content type of an attachment by its file name. Pure."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

# The documents of shared.documents an email may carry.
DOCUMENT_KINDS = ("invoice_pdf",)

# The client emails about an invoice carry its PDF.
INVOICE_TEMPLATES = frozenset({"invoice_issued", "payment_reminder"})
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".ics": "text/calendar",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def document_of(template: str, data: Mapping[str, Any]) -> str | None:
    """The document a client email of ``template`` carries, from its event's data."""
    if template in INVOICE_TEMPLATES and data.get("invoice_id"):
        return f"invoice_pdf:{data['invoice_id']}"
    return None


def parse_document(reference: str) -> tuple[str, uuid.UUID] | None:
    """``invoice_pdf:<id>`` as (kind, id); None for anything else."""
    kind, _, object_id = reference.partition(":")
    try:
        return (kind, uuid.UUID(object_id)) if kind in DOCUMENT_KINDS else None
    except ValueError:
        return None


def calendar_method(content: bytes) -> str | None:
    """The iTIP method of an iCalendar object (``METHOD:REQUEST``), None without one."""
    found = re.search(rb"^METHOD:([A-Za-z-]+)\r?$", content, re.MULTILINE)
    return found.group(1).decode().upper() if found else None


def content_type_of(filename: str) -> str:
    """An attachment's content type by its extension (else application/octet-stream)."""
    dot = filename.rfind(".")
    extension = filename[dot:].lower() if dot >= 0 else ""
    return CONTENT_TYPES.get(extension, "application/octet-stream")
