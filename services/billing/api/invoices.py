"""/api/v1/invoices: drafts, issue, void, promise to pay."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from services.billing.api import pdf
from services.billing.api.deps import DEPS, STAFF, CallerDep, RuntimeDep, SettingsDep, StaffDep
from services.billing.api.lists import ListDep, each, sorted_list
from services.billing.api.pdf import seller_party
from services.billing.api.presenters import credit_note_out, invoice_out
from services.billing.api.schemas import CreditNoteOut, InvoiceOut
from services.billing.commands import CreditNoteIn, InvoiceIn, InvoicePatch, IssueIn, PromiseIn
from services.billing.domain.documents import (
    Language,
    NotCertifiable,
    check_certifiable,
    document_language,
)
from services.billing.domain.invoices import InvoiceStatus
from services.billing.handlers import credit_notes
from services.billing.handlers import invoices as handlers
from services.billing.store import credit_notes as credit_note_store
from services.billing.store import invoices as repo
from services.billing.store.billing_details import billing_details, client_country, party_of
from services.billing.store.clients import get_client
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.errors import Conflict
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])
PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
}


@router.post("", status_code=201, response_model=InvoiceOut, operation_id="createInvoice")
async def create_invoice(
    body: InvoiceIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    """A draft invoice (its lines stay editable until it is issued)."""
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.create_invoice(uow, caller, body),
        lambda i: invoice_out(i, now),
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


INVOICE_COLUMNS = [
    "id",
    "number",
    "client_id",
    "contract_id",
    "currency",
    "subtotal",
    "tax",
    "total",
    "amount_paid",
    "credited",
    "balance",
    "issue_date",
    "due_date",
    "status",
    "days_overdue",
    "paid_on",
    "created_at",
]


@router.get(
    "",
    response_model=Page[InvoiceOut],
    responses=EXPORT_RESPONSES,
    operation_id="listInvoices",
)
async def list_invoices(
    caller: StaffDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    contract_id: uuid.UUID | None = None,
    status: InvoiceStatus | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    number: Annotated[str | None, Query(max_length=20)] = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[InvoiceOut] | Response:
    """The invoices of the clients the caller may see, oldest first unless ``sort`` says
    otherwise (a draft without a number or dates sorts last by them; ``status`` sorts by
    the stored status). ``status`` is the status shown: ``overdue`` also finds unpaid
    invoices past their due date (the client's today) the scan has not marked yet,
    ``issued`` leaves them out; ``due_from``/``due_to`` the due date (both included),
    ``number`` one invoice's number."""
    now = runtime.clock.now()
    stmt = repo.invoices(
        caller,
        client_id=client_id,
        contract_id=contract_id,
        status=status,
        now=now,
        due_from=due_from,
        due_to=due_to,
        number=number,
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(partial(invoice_out, now=now)),
        query,
        filename="invoices",
        header=INVOICE_COLUMNS,
        money=("subtotal", "tax", "total", "amount_paid", "credited", "balance"),
    )


@router.get("/{invoice_id}", response_model=InvoiceOut, operation_id="getInvoice")
async def get_invoice(invoice_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep) -> InvoiceOut:
    async with runtime.reads() as session:
        invoice = await repo.get_invoice(session, caller, invoice_id)
    return invoice_out(invoice, runtime.clock.now())


@router.get(
    "/{invoice_id}/pdf",
    operation_id="getInvoicePdf",
    response_class=Response,
    responses=PDF_RESPONSES,
)
async def invoice_pdf(invoice_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep) -> Response:
    """The invoice as a PDF: the seller and the client with their legal and bank details,
    lines, taxes, totals, number and dates."""
    document = await pdf.invoice_document(runtime, caller, invoice_id)
    return _pdf(document.content, document.filename)


def _pdf(document: bytes, filename: str) -> Response:
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get(
    "/{invoice_id}/act.pdf",
    operation_id="getInvoiceAct",
    response_class=Response,
    responses=PDF_RESPONSES,
)
async def invoice_act(
    invoice_id: uuid.UUID,
    caller: StaffDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    lang: Language | None = None,
) -> Response:
    """The certificate of completed work (акт выполненных работ) of a paid invoice (else
    409): the parties with their legal and bank details, the work, the totals with tax, in
    Russian or English (``lang``; else the client's documents' language, else Russian for
    a client in a Russian-speaking country, English otherwise)."""
    async with runtime.reads() as session:
        invoice = await repo.get_invoice(session, caller, invoice_id)
        client = await get_client(session, caller, invoice.client_id)
        details = await billing_details(session, client.id)
        country = await client_country(session, client.id)
    try:
        check_certifiable(invoice.status)
    except NotCertifiable as exc:
        raise Conflict(str(exc)) from exc
    language = document_language(lang, details.language if details else None, country)
    document = await asyncio.to_thread(
        pdf.act_pdf, invoice, seller_party(settings), party_of(client.name, details), language
    )
    return _pdf(document, f"act-{invoice.number}.pdf")


@router.patch("/{invoice_id}", response_model=InvoiceOut, operation_id="updateInvoice")
async def update_invoice(
    invoice_id: uuid.UUID, body: InvoicePatch, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """A draft's lines, currency and notes (an issued invoice: 409)."""
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.update_invoice(uow, caller, invoice_id, body),
        lambda i: invoice_out(i, now),
        caller_id=caller.id,
    )


@router.post("/{invoice_id}/issue", response_model=InvoiceOut, operation_id="issueInvoice")
async def issue_invoice(
    invoice_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    idem: IdempotencyKey,
    body: IssueIn | None = None,
) -> JSONResponse:
    """Assign the year's next number (unique, gap-free), freeze the lines; optional
    ``issue_date`` (default today) and ``due_date`` (default + the payment terms)."""
    command = body or IssueIn()
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.issue_invoice(uow, caller, invoice_id, command, settings),
        lambda i: invoice_out(i, now),
        caller_id=caller.id,
        idempotency=idem,
    )


@router.post("/{invoice_id}/void", response_model=InvoiceOut, operation_id="voidInvoice")
async def void_invoice(
    invoice_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    """A paid or partly paid invoice cannot be voided: 409."""
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.void_invoice(uow, caller, invoice_id),
        lambda i: invoice_out(i, now),
        caller_id=caller.id,
        idempotency=idem,
    )


@router.post("/{invoice_id}/promise", response_model=InvoiceOut, operation_id="promiseToPay")
async def promise_to_pay(
    invoice_id: uuid.UUID,
    body: PromiseIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """The client's promise to pay by ``promised_on``: reminders pause until then; still
    unpaid the day after, ``invoice.promise_broken``."""
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.promise_to_pay(uow, caller, invoice_id, body),
        lambda i: invoice_out(i, now),
        caller_id=caller.id,
        idempotency=idem,
    )


@router.post(
    "/{invoice_id}/credit-notes",
    status_code=201,
    response_model=CreditNoteOut,
    operation_id="createCreditNote",
    tags=["credit notes"],
)
async def create_credit_note(
    invoice_id: uuid.UUID,
    body: CreditNoteIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """A credit note against an issued (or paid) invoice, for ``reason``: by ``lines`` or
    an ``amount`` (tax included), never more than what is left uncredited (422); a draft or
    void invoice is a 409. Numbered in its own gap-free yearly series (``CN-2026-000001``);
    it takes the invoice's balance down first (paid in full: the invoice is paid), the rest
    becomes the client's credit. ``invoice.credited``; the reports follow."""
    return await run_command(
        runtime.uow,
        lambda uow: credit_notes.credit_invoice(uow, caller, invoice_id, body),
        credit_note_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


@router.get(
    "/{invoice_id}/credit-notes",
    response_model=Page[CreditNoteOut],
    operation_id="listCreditNotes",
    tags=["credit notes"],
)
async def list_credit_notes(
    invoice_id: uuid.UUID,
    caller: StaffDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[CreditNoteOut]:
    """The invoice's credit notes in number order."""
    async with runtime.reads() as session:
        invoice = await repo.get_invoice(session, caller, invoice_id)
        items, next_cursor = await credit_note_store.credit_notes_page(
            session, caller, invoice.id, limit=limit, cursor=cursor
        )
    return page_of(items, next_cursor, credit_note_out)


add_trail_route(
    router,
    "invoice",
    repo.get_invoice,
    runtime=DEPS.runtime,
    caller=STAFF,
    operation_id="listInvoiceAudit",
    doc="The corrections of an invoice (credit notes with their reason, voided)",
)
