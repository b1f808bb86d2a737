"""Payments: booked once per (client, reference), allocated to invoices, the rest credit."""

from __future__ import annotations

import uuid

from services.billing.commands import PaymentIn
from services.billing.domain.allocation import (
    AllocationError,
    OpenInvoice,
    allocate_explicit,
    allocate_oldest,
)
from services.billing.domain.invoices import balance
from services.billing.events import PaymentReceivedV1
from services.billing.handlers.common import PEOPLE_ROLES, client_today
from services.billing.handlers.invoices import settle
from services.billing.store import invoices as invoice_store
from services.billing.store import payments as repo
from services.billing.store.clients import get_client
from services.billing.store.models import Allocation, CreditEntry, Payment
from shared.auth import Caller, Role
from shared.errors import Conflict, Invalid
from shared.money import MoneyError, check_amount, format_amount
from shared.uow import UnitOfWork


async def book_payment(uow: UnitOfWork, caller: Caller, command: PaymentIn) -> tuple[Payment, bool]:
    """The payment and whether it was booked now (False: the same ``(client_id, reference)``
    was booked before and that payment is returned, nothing booked twice). Admins, the
    client's manager or head, and ``service`` tokens (a bank import) may book."""
    caller.require(*PEOPLE_ROLES, Role.SERVICE)
    # The client's lock serialises two posts of the same reference: the second one finds
    # the first payment once the first commits.
    client = await get_client(uow.session, caller, command.client_id, for_update=True)
    if command.reference is not None:
        first = await repo.payment_by_reference(uow.session, client.id, command.reference)
        if first is not None:
            if (first.amount, first.currency) != (command.amount, command.currency):
                raise Conflict(
                    f"reference {command.reference!r} was booked already for this client "
                    f"with {format_amount(first.amount, first.currency)} {first.currency}"
                )
            return first, False
    try:
        amount = check_amount(command.amount, command.currency, "amount", positive=True)
    except MoneyError as exc:
        raise Invalid.field("amount", str(exc)) from exc
    open_invoices = {i.id: i for i in await invoice_store.open_invoices(uow.session, client.id)}
    candidates = [
        OpenInvoice(i.id, i.currency, balance(i), i.issue_date, i.number or "")  # type: ignore[arg-type]
        for i in open_invoices.values()
    ]
    try:
        if command.allocations is None:
            split = allocate_oldest(amount, command.currency, candidates)
        else:
            for index, wanted in enumerate(command.allocations):
                try:
                    check_amount(wanted.amount, command.currency, "amount", positive=True)
                except MoneyError as exc:
                    raise Invalid.field(["allocations", index, "amount"], str(exc)) from exc
            split = allocate_explicit(
                amount,
                command.currency,
                candidates,
                [(a.invoice_id, a.amount) for a in command.allocations],
            )
    except AllocationError as exc:
        loc: list[str | int] = (
            ["allocations"]
            if exc.index is None
            else ["allocations", exc.index, "invoice_id" if "open invoice" in exc.msg else "amount"]
        )
        raise Invalid.field(loc, exc.msg) from exc
    now = uow.clock.now()
    payment = Payment(
        id=uuid.uuid4(),
        client_id=client.id,
        amount=amount,
        currency=command.currency,
        received_at=command.received_at or now,
        method=command.method,
        reference=command.reference,
        credit=split.credit,
        booked_by=caller.id,
        created_at=now,
    )
    uow.session.add(payment)
    await uow.session.flush()
    today = client_today(client, uow)
    allocated = []
    for position, share in enumerate(split.allocations):
        invoice = open_invoices[share.invoice_id]
        uow.session.add(
            Allocation(
                id=uuid.uuid4(),
                invoice_id=invoice.id,
                payment_id=payment.id,
                amount=share.amount,
                source="payment",
                position=position,
                created_at=now,
            )
        )
        allocated.append(
            {
                "invoice_id": invoice.id,
                "invoice_number": invoice.number,
                "amount": format_amount(share.amount, payment.currency),
            }
        )
    if split.credit > 0:
        uow.session.add(
            CreditEntry(
                id=uuid.uuid4(),
                client_id=client.id,
                currency=payment.currency,
                amount=split.credit,
                payment_id=payment.id,
                invoice_id=None,
                created_at=now,
            )
        )
    await uow.session.flush()
    await uow.emit(
        PaymentReceivedV1(
            **client.team(),
            payment_id=payment.id,
            amount=format_amount(payment.amount, payment.currency),
            currency=payment.currency,
            received_at=payment.received_at,
            method=payment.method,
            reference=payment.reference,
            allocations=allocated,
            credit=format_amount(split.credit, payment.currency),
        )
    )
    for share in split.allocations:
        await settle(uow, open_invoices[share.invoice_id], client, share.amount, today)
    return payment, True
