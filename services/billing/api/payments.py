"""/api/v1/payments and the client's credit (/api/v1/clients/{id}/credit)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.billing.api.deps import DEPS, STAFF, CallerDep, RuntimeDep, StaffDep
from services.billing.api.lists import ListDep, sorted_list
from services.billing.api.presenters import credit_out, payment_out, payments_out
from services.billing.api.schemas import CreditOut, PaymentOut
from services.billing.commands import PaymentIn, ReasonIn
from services.billing.handlers import payments as handlers
from services.billing.store import payments as repo
from services.billing.store.clients import get_client
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.pagination import Page
from shared.uow import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["payments"])


@router.post(
    "/payments",
    status_code=201,
    response_model=PaymentOut,
    operation_id="bookPayment",
    responses={
        200: {
            "model": PaymentOut,
            "description": "the same (client_id, reference) was booked "
            "before: that payment, nothing booked twice",
        }
    },
)
async def book_payment(
    body: PaymentIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    """Book a payment (admins, the client's manager or head, ``service`` tokens): to the
    given allocations, or to the oldest open invoices in its currency; the rest becomes the
    client's credit. The same ``(client_id, reference)`` again returns the first payment."""

    async def command(uow: UnitOfWork) -> tuple[BaseModel, bool]:
        payment, created = await handlers.book_payment(uow, caller, body)
        allocations = await repo.allocations_of(uow.session, [payment.id])
        return payment_out(payment, allocations[payment.id]), created

    # 201 booked now, 200 the same (client_id, reference) booked before; an Idempotency-Key
    # stores that status with the body, so its replay answers the same.
    return await run_command(
        runtime.uow,
        command,
        lambda booked: booked[0],
        caller_id=caller.id,
        idempotency=idem,
        status_of=lambda booked: 201 if booked[1] else 200,
    )


PAYMENT_COLUMNS = [
    "id",
    "client_id",
    "amount",
    "currency",
    "received_at",
    "method",
    "reference",
    "credit",
    "reversed_at",
    "reversal_reason",
    "created_at",
]


@router.get(
    "/payments",
    response_model=Page[PaymentOut],
    responses=EXPORT_RESPONSES,
    operation_id="listPayments",
)
async def list_payments(
    caller: StaffDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[PaymentOut] | Response:
    """The payments of the clients the caller may see, oldest first unless ``sort`` says
    otherwise; ``received_from``/``received_to``: received on those days (UTC, both
    included)."""
    stmt = repo.payments(
        caller, client_id=client_id, received_from=received_from, received_to=received_to
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        payments_out,
        query,
        filename="payments",
        header=PAYMENT_COLUMNS,
        money=("amount", "credit"),
    )


@router.get("/payments/{payment_id}", response_model=PaymentOut, operation_id="getPayment")
async def get_payment(payment_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep) -> PaymentOut:
    async with runtime.reads() as session:
        payment = await repo.get_payment(session, caller, payment_id)
        allocations = await repo.allocations_of(session, [payment.id])
    return payment_out(payment, allocations[payment.id])


@router.post(
    "/payments/{payment_id}/reverse", response_model=PaymentOut, operation_id="reversePayment"
)
async def reverse_payment(
    payment_id: uuid.UUID, body: ReasonIn, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Reverse a bounced or mis-booked payment, for ``reason``: the invoices it paid are
    open again (their balance back, overdue if past due) and payment control resumes on
    them; its surplus leaves the client's credit (409 when that credit was used since). The
    reports follow (collected no longer counts it; the ageing as of a day before the
    reversal still does). Once: reversing it again answers the same payment, nothing twice."""

    async def command(uow: UnitOfWork) -> BaseModel:
        payment = await handlers.reverse_payment(uow, caller, payment_id, body)
        allocations = await repo.allocations_of(uow.session, [payment.id])
        return payment_out(payment, allocations[payment.id])

    return await run_command(runtime.uow, command, lambda p: p, caller_id=caller.id)


@router.get(
    "/clients/{client_id}/credit",
    response_model=CreditOut,
    operation_id="getClientCredit",
    tags=["credit"],
)
async def client_credit(client_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep) -> CreditOut:
    """The client's credit per currency (payment surpluses not yet used by invoices)."""
    async with runtime.reads() as session:
        client = await get_client(session, caller, client_id)
        balances = await repo.credit_balances(session, client.id)
    return credit_out(client.id, balances)


add_trail_route(
    router,
    "payment",
    repo.get_payment,
    runtime=DEPS.runtime,
    caller=STAFF,
    operation_id="listPaymentAudit",
    doc="The corrections of a payment (reversed, with its reason)",
    prefix="/payments",
)
