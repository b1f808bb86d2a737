"""Credit notes against issued (or paid) invoices: numbered in their own gap-free yearly
series, settling the invoice's balance, the rest the client's credit."""

from __future__ import annotations

import uuid

from services.billing.commands import CreditNoteIn
from services.billing.domain.credit_notes import (
    CreditNoteError,
    amount_totals,
    check_credit,
    credit_note_number,
    split,
)
from services.billing.domain.invoices import Totals, balance
from services.billing.events import InvoiceCreditedV1
from services.billing.handlers.common import checked_lines, client_today
from services.billing.handlers.invoices import locked_invoice, settle
from services.billing.snapshots import invoice_fields
from services.billing.store import invoices as invoice_store
from services.billing.store.models import Allocation, CreditEntry, CreditNote, CreditNoteCounter
from shared import audit
from shared.auth import Caller
from shared.errors import Conflict, Invalid
from shared.money import MoneyError, check_amount, format_amount, round_half_up
from shared.uow import UnitOfWork


async def credit_invoice(
    uow: UnitOfWork, caller: Caller, invoice_id: uuid.UUID, command: CreditNoteIn
) -> CreditNote:
    """A credit note of ``command`` against the invoice: checked against what is left to
    credit, numbered (the year's counter row locked to the commit: gap-free), its amount
    settling the balance first (an allocation, the invoice's status follows), the rest
    the client's credit; ``invoice.credited``."""
    invoice, client = await locked_invoice(uow, caller, invoice_id)
    currency = invoice.currency
    if command.lines is not None:
        lines, totals = checked_lines(command.lines, currency)
    else:
        assert command.amount is not None
        try:
            amount = check_amount(command.amount, currency, "amount", positive=True)
        except MoneyError as exc:
            raise Invalid.field("amount", str(exc)) from exc
        totals = amount_totals(amount, invoice.subtotal, invoice.tax, currency)
        lines = [_amount_line(invoice.number, totals, currency)]
    try:
        check_credit(invoice.status, invoice.total, invoice.credited, totals.total)
    except CreditNoteError as exc:
        if exc.conflict:
            raise Conflict(exc.msg) from exc
        raise Invalid.field("lines" if command.lines is not None else "amount", exc.msg) from exc
    today = client_today(client, uow)
    now = uow.clock.now()
    parts = split(totals.total, balance(invoice))
    sequence = await invoice_store.next_invoice_number(uow.session, today.year, CreditNoteCounter)
    note = CreditNote(
        id=uuid.uuid4(),
        invoice_id=invoice.id,
        client_id=client.id,
        number=credit_note_number(today.year, sequence),
        currency=currency,
        lines=lines,
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        applied=parts.applied,
        to_credit=parts.to_credit,
        reason=command.reason,
        issue_date=today,
        issued_by=caller.id,
        created_at=now,
    )
    uow.session.add(note)
    await audit.record(
        uow,
        caller.id,
        "invoice",
        invoice.id,
        {
            "credited": (
                format_amount(invoice.credited, currency),
                format_amount(invoice.credited + totals.total, currency),
            ),
            "credit_note": (None, note.number),
            "credit_note_reason": (None, command.reason),
        },
    )
    invoice.credited += totals.total
    if parts.applied > 0:
        uow.session.add(
            Allocation(
                id=uuid.uuid4(),
                invoice_id=invoice.id,
                payment_id=None,
                amount=parts.applied,
                source="creditnote",
                position=0,
                created_at=now,
            )
        )
    if parts.to_credit > 0:
        uow.session.add(
            CreditEntry(
                id=uuid.uuid4(),
                client_id=client.id,
                currency=currency,
                amount=parts.to_credit,
                payment_id=None,
                invoice_id=invoice.id,
                created_at=now,
            )
        )
    await uow.session.flush()
    if parts.applied > 0:
        await settle(uow, invoice, client, parts.applied, today)
    await uow.emit(
        InvoiceCreditedV1(
            **invoice_fields(invoice, client),
            credit_note_id=note.id,
            credit_note_number=note.number,
            credit_total=format_amount(note.total, currency),
            applied=format_amount(note.applied, currency),
            to_credit=format_amount(note.to_credit, currency),
            reason=note.reason,
            issued_by=caller.id,
        )
    )
    return note


def _amount_line(number: str | None, totals: Totals, currency: str) -> dict[str, str]:
    rate = round_half_up(totals.tax / totals.subtotal, 4) if totals.subtotal else 0
    return {
        "description": f"Credit to invoice {number}",
        "quantity": "1",
        "unit_price": format_amount(totals.subtotal, currency),
        "tax_rate": format(rate, "f"),
        "net": format_amount(totals.subtotal, currency),
        "tax": format_amount(totals.tax, currency),
    }
