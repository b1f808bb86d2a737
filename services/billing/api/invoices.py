"""/api/v1/invoices: drafts, issue, void, promise to pay."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.billing.api import pdf
from services.billing.api.deps import CallerDep, RuntimeDep, SettingsDep, StaffDep
from services.billing.api.presenters import invoice_out
from services.billing.api.schemas import InvoiceOut
from services.billing.commands import InvoiceIn, InvoicePatch, IssueIn, PromiseIn
from services.billing.domain.invoices import InvoiceStatus
from services.billing.handlers import invoices as handlers
from services.billing.store import invoices as repo
from shared.commands import run_command
from shared.idempotency import IdempotencyKey
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])


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


@router.get("", response_model=Page[InvoiceOut], operation_id="listInvoices")
async def list_invoices(
    caller: StaffDep,
    runtime: RuntimeDep,
    client_id: uuid.UUID | None = None,
    contract_id: uuid.UUID | None = None,
    status: InvoiceStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[InvoiceOut]:
    """The invoices of the clients the caller may see, oldest first. ``status`` is the
    status shown: ``overdue`` also finds unpaid invoices past their due date (the client's
    today) the scan has not marked yet, ``issued`` leaves them out."""
    now = runtime.clock.now()
    async with runtime.reads() as session:
        items, next_cursor = await repo.invoices_page(
            session,
            caller,
            now,
            client_id=client_id,
            contract_id=contract_id,
            status=status,
            limit=limit,
            cursor=cursor,
        )
    return page_of(items, next_cursor, lambda i: invoice_out(i, now))


@router.get("/{invoice_id}", response_model=InvoiceOut, operation_id="getInvoice")
async def get_invoice(invoice_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep) -> InvoiceOut:
    async with runtime.reads() as session:
        invoice = await repo.get_invoice(session, caller, invoice_id)
    return invoice_out(invoice, runtime.clock.now())


@router.get(
    "/{invoice_id}/pdf",
    operation_id="getInvoicePdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def invoice_pdf(invoice_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep) -> Response:
    """The invoice as a PDF: seller, client, lines, taxes, totals, number and dates."""
    document = await pdf.invoice_document(runtime, caller, invoice_id)
    return Response(
        document.content,
        media_type=document.content_type,
        headers={"Content-Disposition": f'inline; filename="{document.filename}"'},
    )


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
