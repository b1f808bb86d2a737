"""An invoice as a PDF (fpdf2): the seller, the client, the lines with their taxes, the
totals, the number and the dates. Text is set in Roboto, loaded from the ``font-roboto``
package's data files, so Cyrillic (and every Latin) name renders."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import font_roboto
from fpdf import FPDF

from services.billing.settings import BillingSettings
from services.billing.store import invoices as repo
from services.billing.store.clients import get_client
from services.billing.store.models import Invoice
from shared.auth import Caller
from shared.documents import PDF, Document
from shared.money import format_amount

TITLES = {"draft": "DRAFT INVOICE", "void": "VOID INVOICE"}


def _percent(rate: str) -> str:
    return f"{(Decimal(rate) * 100).normalize():f} %"


def invoice_pdf(invoice: Invoice, seller: str, seller_address: str, client_name: str) -> bytes:
    c = invoice.currency
    pdf = FPDF(format="A4")
    pdf.set_title(f"Invoice {invoice.number or invoice.id}")
    pdf.add_font("Roboto", "", font_roboto.font_files["Roboto"])
    pdf.add_font("Roboto", "B", font_roboto.font_files["RobotoBold"])
    pdf.add_page()
    pdf.set_font("Roboto", "B", 18)
    pdf.cell(0, 10, TITLES.get(invoice.status, "INVOICE"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Roboto", "", 10)
    facts = [
        ("Number", invoice.number or "(assigned when issued)"),
        ("Issue date", str(invoice.issue_date or "")),
        ("Due date", str(invoice.due_date or "")),
        ("Currency", c),
    ]
    for label, value in facts:
        pdf.cell(35, 6, label)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    pdf.set_font("Roboto", "B", 10)
    pdf.cell(90, 6, "From")
    pdf.cell(0, 6, "Bill to", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Roboto", "", 10)
    pdf.multi_cell(90, 5, f"{seller}\n{seller_address}".strip())
    left_end = pdf.get_y()
    pdf.set_xy(pdf.l_margin + 90, top + 6)
    pdf.multi_cell(0, 5, client_name)
    pdf.set_y(max(left_end, pdf.get_y()) + 6)

    widths = (78, 20, 26, 16, 24, 26)
    pdf.set_font("Roboto", "B", 9)
    for width, head in zip(
        widths, ("Description", "Qty", "Unit price", "Tax", "Net", "Tax"), strict=True
    ):
        pdf.cell(width, 7, head, border="B", align="L" if head == "Description" else "R")
    pdf.ln()
    pdf.set_font("Roboto", "", 9)
    for line in invoice.lines:
        cells = (
            line["description"][:60],
            line["quantity"],
            line["unit_price"],
            _percent(line["tax_rate"]),
            line["net"],
            line["tax"],
        )
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 6, value, align="L" if width == widths[0] else "R")
        pdf.ln()
    pdf.ln(3)
    totals = [
        ("Subtotal", invoice.subtotal),
        ("Tax", invoice.tax),
        ("Total", invoice.total),
        ("Paid", invoice.amount_paid),
        ("Balance due", invoice.total - invoice.amount_paid),
    ]
    for label, amount in totals:
        pdf.set_font("Roboto", "B" if label in ("Total", "Balance due") else "", 10)
        pdf.cell(sum(widths) - 40, 6, label, align="R")
        pdf.cell(40, 6, f"{format_amount(amount, c)} {c}", align="R", new_x="LMARGIN", new_y="NEXT")
    if invoice.notes:
        pdf.ln(4)
        pdf.set_font("Roboto", "", 9)
        pdf.multi_cell(0, 5, invoice.notes)
    return bytes(pdf.output())


async def invoice_document(runtime: Any, caller: Caller, invoice_id: uuid.UUID) -> Document:
    """The caller's invoice as a PDF document (404 when they may not see it), rendered off
    the event loop: ``GET /api/v1/invoices/{id}/pdf`` and the internal endpoint the emails'
    attachments are fetched from."""
    settings: BillingSettings = runtime.settings
    async with runtime.reads() as session:
        invoice = await repo.get_invoice(session, caller, invoice_id)
        client = await get_client(session, caller, invoice.client_id)
    content = await asyncio.to_thread(
        invoice_pdf,
        invoice,
        settings.billing_seller_name,
        settings.billing_seller_address,
        client.name,
    )
    name = invoice.number or f"draft-{invoice.id}"
    return Document(f"invoice-{name}.pdf", PDF, content)
