"""Payments: booked once per (client, reference), allocated to invoices, the rest credit."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from services.billing.commands import PaymentIn, ReasonIn
from services.billing.domain.allocation import (
    AllocationError,
    OpenInvoice,
    ReversalError,
    allocate_explicit,
    allocate_oldest,
    check_reversal,
)
from services.billing.domain.invoices import balance, status_after_payment
from services.billing.events import PaymentReceivedV1, PaymentReversedV1
from services.billing.handlers.common import PEOPLE_ROLES, client_today, require_staff
from services.billing.handlers.invoices import emit_if_paid, take_payment
from services.billing.store import invoices as invoice_store
from services.billing.store import payments as repo
from services.billing.store.clients import get_client, lock_client_of
from services.billing.store.models import Allocation, CreditEntry, Invoice, Payment
from services.billing.store.payments import credit_balances
from shared import audit
from shared.auth import Caller, Role
from shared.errors import Conflict, Invalid
from shared.money import MoneyError, check_amount, format_amount
from shared.uow import UnitOfWork

# A payment's fields in its audit trail as booked (``GET /api/v1/payments/{id}/audit``).
PAYMENT_FIELDS = ("client_id", "amount", "currency", "received_at", "method", "reference", "credit")
# What a payment changes on the invoices it settles (their trail).
SETTLED_FIELDS = ("amount_paid", "status")


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
    allocated, settled = [], []
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
        settled.append((invoice, audit.state(invoice, SETTLED_FIELDS)))
        take_payment(uow, invoice, share.amount, today)
    if split.credit > 0:
        uow.session.add(_credit_entry(payment, split.credit, now))
    await uow.session.flush()
    await audit.created(uow, caller, "payment", payment, PAYMENT_FIELDS)
    if allocated:
        await audit.record(
            uow, caller.id, "payment", payment.id, {"allocations": (None, allocated)}
        )
    await uow.emit(
        PaymentReceivedV1(
            **client.team(),
            payment_id=payment.id,
            amount=format_amount(payment.amount, payment.currency),
            currency=payment.currency,
            received_at=payment.received_at,
            method=payment.method,
            reference=payment.reference,
            # each with what its invoice owes after it, and its status
            allocations=[
                share | {"balance": format_amount(balance(i), i.currency), "status": i.status}
                for share, (i, _) in zip(allocated, settled, strict=True)
            ],
            credit=format_amount(split.credit, payment.currency),
        )
    )
    for invoice, before in settled:
        await audit.changed(uow, caller, "invoice", invoice, before, SETTLED_FIELDS)
        await emit_if_paid(uow, invoice, client, today)
    return payment, True


async def reverse_payment(
    uow: UnitOfWork, caller: Caller, payment_id: uuid.UUID, command: ReasonIn
) -> Payment:
    """A bounced or mis-booked payment, reversed: each allocation it made is taken back (a
    negative allocation now), its invoices are open again (paid in full: ``paid_on``
    cleared) and payment control looks at them today (dunning resumes where it was); its
    surplus leaves the client's credit (409 if that credit was used since). Once: reversing
    a reversed payment returns it unchanged."""
    require_staff(caller)
    client = await lock_client_of(uow.session, caller, Payment, payment_id, "payment")
    payment = await repo.get_payment(uow.session, caller, payment_id, for_update=True)
    if payment.reversed_at is not None:
        return payment
    if payment.credit > 0:
        credit = (await credit_balances(uow.session, client.id)).get(payment.currency, Decimal(0))
        try:
            check_reversal(payment.credit, credit, payment.currency)
        except ReversalError as exc:
            raise Conflict(str(exc)) from exc
    now = uow.clock.now()
    today = client_today(client, uow)
    shares = (await repo.allocations_of(uow.session, [payment.id]))[payment.id]
    invoices = await invoice_store.locked_invoices(uow.session, [a.invoice_id for a in shares])
    reopened = []
    for position, share in enumerate(shares):
        invoice = invoices[share.invoice_id]
        uow.session.add(
            Allocation(
                id=uuid.uuid4(),
                invoice_id=invoice.id,
                payment_id=payment.id,
                amount=-share.amount,
                source="reversal",
                position=position,
                created_at=now,
            )
        )
        _reopen(invoice, share.amount, today, now)
        reopened.append(
            {
                "invoice_id": invoice.id,
                "invoice_number": invoice.number,
                "amount": format_amount(share.amount, payment.currency),
                "balance": format_amount(balance(invoice), payment.currency),
                "status": invoice.status,
            }
        )
    if payment.credit > 0:
        uow.session.add(_credit_entry(payment, -payment.credit, now))
    payment.reversed_at, payment.reversed_by = now, caller.id
    payment.reversal_reason = command.reason
    await uow.session.flush()
    await audit.record(
        uow,
        caller.id,
        "payment",
        payment.id,
        {"reversed_at": (None, now), "reversal_reason": (None, command.reason)},
    )
    await uow.emit(
        PaymentReversedV1(
            **client.team(),
            payment_id=payment.id,
            amount=format_amount(payment.amount, payment.currency),
            currency=payment.currency,
            received_at=payment.received_at,
            reference=payment.reference,
            reason=command.reason,
            reversed_by=caller.id,
            reopened=reopened,
            credit_removed=format_amount(payment.credit, payment.currency),
        )
    )
    return payment


def _reopen(invoice: Invoice, amount: Decimal, today: date, now: datetime) -> None:
    """``amount`` paid on ``invoice`` taken back: its status follows, payment control looks
    at it from today (a kept promise stays kept)."""
    invoice.amount_paid -= amount
    invoice.status = status_after_payment(
        invoice.total, invoice.amount_paid, invoice.due_date, today
    )
    invoice.paid_on = None
    invoice.next_action_on = today
    invoice.updated_at = now


def _credit_entry(payment: Payment, amount: Decimal, now: datetime) -> CreditEntry:
    """A change of the client's credit by ``payment``: + its surplus, - that surplus reversed."""
    return CreditEntry(
        id=uuid.uuid4(),
        client_id=payment.client_id,
        currency=payment.currency,
        amount=amount,
        payment_id=payment.id,
        invoice_id=None,
        created_at=now,
    )
