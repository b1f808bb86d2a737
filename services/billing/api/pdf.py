"""An invoice, and the certificate of completed work (акт выполненных работ) of a paid one,
as PDFs (fpdf2): the seller and the client with their legal and bank details, the lines with
their taxes, the totals, the number and the dates. Text is set in Roboto, loaded from the
``font-roboto`` package's data files, so Cyrillic (and every Latin) name renders."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import font_roboto
from fpdf import FPDF

from services.billing.domain.documents import LABELS, Language, Party, party_lines
from services.billing.settings import BillingSettings
from services.billing.store import invoices as repo
from services.billing.store.billing_details import billing_details, party_of
from services.billing.store.clients import get_client
from services.billing.store.models import Invoice
from shared.auth import Caller
from shared.documents import PDF, Document
from shared.money import format_amount

TITLES = {"draft": "DRAFT INVOICE", "void": "VOID INVOICE"}


def _percent(rate: str) -> str:
    return f"{(Decimal(rate) * 100).normalize():f} %"


def seller_party(settings: BillingSettings) -> Party:
    """The seller as the settings name it (``ORBIT_BILLING_SELLER_...``)."""
    return Party(
        settings.billing_seller_name,
        tax_id=settings.billing_seller_tax_id or None,
        registration_code=settings.billing_seller_registration_code or None,
        address=settings.billing_seller_address or None,
        bank_name=settings.billing_seller_bank_name or None,
        bank_account=settings.billing_seller_bank_account or None,
        bank_code=settings.billing_seller_bank_code or None,
        correspondent_account=settings.billing_seller_correspondent_account or None,
    )


def _document(title: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.add_font("Roboto", "", font_roboto.font_files["Roboto"])
    pdf.add_font("Roboto", "B", font_roboto.font_files["RobotoBold"])
    pdf.add_page()
    return pdf


def _parties(
    pdf: FPDF, heads: tuple[str, str], seller: Party, client: Party, lang: Language
) -> None:
    """The seller (left) and the client (right), each with its details."""
    top = pdf.get_y()
    pdf.set_font("Roboto", "B", 10)
    pdf.cell(90, 6, heads[0])
    pdf.cell(0, 6, heads[1], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Roboto", "", 9)
    pdf.multi_cell(88, 5, "\n".join(party_lines(seller, lang)))
    left_end = pdf.get_y()
    pdf.set_xy(pdf.l_margin + 90, top + 6)
    pdf.multi_cell(0, 5, "\n".join(party_lines(client, lang)))
    pdf.set_y(max(left_end, pdf.get_y()) + 6)


def invoice_pdf(invoice: Invoice, seller: Party, client: Party) -> bytes:
    c = invoice.currency
    pdf = _document(f"Invoice {invoice.number or invoice.id}")
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
    _parties(pdf, ("From", "Bill to"), seller, client, "en")

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


def act_pdf(invoice: Invoice, seller: Party, client: Party, lang: Language) -> bytes:
    """The certificate of completed work of a paid invoice, in ``lang``: its number and
    date (the invoice's number, the day it was paid), the parties with their details, the
    work (the invoice's lines), the totals with tax, the statement and the signature lines."""
    c = invoice.currency
    words = LABELS[lang]
    number, day = invoice.number or str(invoice.id), str(invoice.paid_on or invoice.issue_date)
    title = words["act"].format(number=number, date=day)
    pdf = _document(title)
    pdf.set_font("Roboto", "B", 14)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Roboto", "", 10)
    invoice_ref = words["invoice"].format(number=number, date=invoice.issue_date)
    pdf.cell(0, 6, invoice_ref, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _parties(pdf, (words["seller"], words["buyer"]), seller, client, lang)
    widths = (8, 82, 18, 26, 26, 26)
    heads = (
        "#",
        words["description"],
        words["quantity"],
        words["price"],
        words["net"],
        words["tax"],
    )
    pdf.set_font("Roboto", "B", 9)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 7, head, border="B", align="L" if width in (8, 82) else "R")
    pdf.ln()
    pdf.set_font("Roboto", "", 9)
    for index, line in enumerate(invoice.lines, start=1):
        cells = (
            str(index),
            line["description"][:60],
            line["quantity"],
            line["unit_price"],
            line["net"],
            line["tax"],
        )
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 6, value, align="L" if width in (8, 82) else "R")
        pdf.ln()
    pdf.ln(3)
    for label, amount in (
        (words["subtotal"], invoice.subtotal),
        (words["tax"], invoice.tax),
        (words["total"], invoice.total),
    ):
        pdf.set_font("Roboto", "B" if amount is invoice.total else "", 10)
        pdf.cell(sum(widths) - 40, 6, label, align="R")
        pdf.cell(40, 6, f"{format_amount(amount, c)} {c}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Roboto", "", 9)
    pdf.multi_cell(0, 5, words["statement"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    for head in (words["seller"], words["buyer"]):
        pdf.cell(90, 6, f"{head}: ____________________ ({words['signature']})")
    pdf.ln()
    return bytes(pdf.output())


async def invoice_document(runtime: Any, caller: Caller, invoice_id: uuid.UUID) -> Document:
    """The caller's invoice as a PDF document (404 when they may not see it), with the seller's
    and the client's legal and bank details, rendered off the event loop: ``GET
    /api/v1/invoices/{id}/pdf`` and the internal endpoint the emails' attachments are fetched
    from."""
    settings: BillingSettings = runtime.settings
    async with runtime.reads() as session:
        invoice = await repo.get_invoice(session, caller, invoice_id)
        client = await get_client(session, caller, invoice.client_id)
        details = await billing_details(session, client.id)
    content = await asyncio.to_thread(
        invoice_pdf, invoice, seller_party(settings), party_of(client.name, details)
    )
    name = invoice.number or f"draft-{invoice.id}"
    return Document(f"invoice-{name}.pdf", PDF, content)
