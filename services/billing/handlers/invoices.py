"""Invoices: drafts (lines editable), issue (number, credit applied, budget checked), void,
promise to pay."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value

from services.billing.commands import (
    InvoiceIn,
    InvoicePatch,
    IssueIn,
    PromiseIn,
)
from services.billing.domain import dunning
from services.billing.domain.allocation import credit_to_apply
from services.billing.domain.budget import THRESHOLDS, thresholds_reached
from services.billing.domain.invoices import (
    DRAFT,
    ISSUED,
    OPEN,
    PAID,
    VOID,
    IllegalTransition,
    balance,
    check_editable,
    check_issue,
    check_void,
    invoice_number,
    status_after_payment,
)
from services.billing.events import (
    BudgetThresholdReachedV1,
    InvoiceIssuedV1,
    InvoicePaidV1,
    InvoiceVoidedV1,
)
from services.billing.handlers.common import (
    checked_lines,
    client_today,
    reprice,
    require_staff,
)
from services.billing.settings import BillingSettings
from services.billing.snapshots import invoice_fields
from services.billing.store import invoices as repo
from services.billing.store.clients import get_client, lock_client_of
from services.billing.store.imports import insert_all
from services.billing.store.models import Allocation, Contract, CreditEntry, Invoice
from services.billing.store.payments import credit_balances
from shared import audit
from shared.auth import Caller
from shared.errors import Conflict, Invalid
from shared.money import format_amount
from shared.policy_replica import policy_documents, policy_value_of
from shared.replicas import ClientView
from shared.uow import UnitOfWork, outbox_row

DEFAULT_PAYMENT_TERMS_DAYS = 30
# An invoice's fields in its audit trail (``GET /api/v1/invoices/{id}/audit``): a draft's
# as created, then each change (edited, issued, paid, promised, voided).
DRAFT_FIELDS = (
    "client_id",
    "contract_id",
    "estimate_id",
    "currency",
    "lines",
    "total",
    "notes",
    "status",
)
INVOICE_FIELDS = (
    *DRAFT_FIELDS,
    "number",
    "issue_date",
    "due_date",
    "amount_paid",
    "promised_on",
    "promise_note",
)


async def _contract_of(
    uow: UnitOfWork, caller: Caller, client_id: uuid.UUID, contract_id: uuid.UUID | None
) -> Contract | None:
    if contract_id is None:
        return None
    contract = await uow.session.get(Contract, contract_id)
    if contract is None or contract.client_id != client_id:
        raise Invalid.field("contract_id", "not a contract of this client")
    return contract


def _default_currency(contract: Contract | None) -> str | None:
    if contract is None:
        return None
    return contract.budget_currency or contract.value_currency


def priced_draft(
    client: ClientView, contract: Contract | None, command: InvoiceIn, now: datetime
) -> Invoice:
    """The draft ``command`` makes for the client (not stored yet): its currency (else the
    contract's) and its lines checked and priced (a 422 naming the field)."""
    currency = command.currency or _default_currency(contract)
    if currency is None:
        raise Invalid.field("currency", "required (the contract names no currency)")
    lines, totals = checked_lines(command.lines, currency)
    return draft_of(
        client,
        contract.id if contract else None,
        currency,
        lines,
        totals.subtotal,
        totals.tax,
        command.notes or None,
        None,
        now,
    )


async def create_invoice(uow: UnitOfWork, caller: Caller, command: InvoiceIn) -> Invoice:
    require_staff(caller)
    client = await get_client(uow.session, caller, command.client_id, for_update=True)
    contract = await _contract_of(uow, caller, client.id, command.contract_id)
    invoice = priced_draft(client, contract, command, uow.clock.now())
    await store_draft(uow, caller, invoice)
    return invoice


def draft_of(
    client: ClientView,
    contract_id: uuid.UUID | None,
    currency: str,
    lines: list[dict[str, str]],
    subtotal: Decimal,
    tax: Decimal,
    notes: str | None,
    estimate_id: uuid.UUID | None,
    now: datetime,
) -> Invoice:
    """A new draft invoice for ``client`` (locked; not stored yet)."""
    return Invoice(
        id=uuid.uuid4(),
        client_id=client.id,
        account_manager_id=client.account_manager_id,
        contract_id=contract_id,
        estimate_id=estimate_id,
        number=None,
        currency=currency,
        lines=lines,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        amount_paid=Decimal(0),
        status=DRAFT,
        notes=notes,
        overdue_sent=False,
        created_at=now,
        updated_at=now,
    )


async def store_draft(uow: UnitOfWork, caller: Caller, invoice: Invoice) -> None:
    """Keep a new draft (``draft_of``) and its audit row."""
    uow.session.add(invoice)
    await uow.session.flush()
    await uow.session.refresh(invoice, ["client_timezone"])
    await audit.created(uow, caller, "invoice", invoice, DRAFT_FIELDS)


async def locked_invoice(
    uow: UnitOfWork, caller: Caller, invoice_id: uuid.UUID
) -> tuple[Invoice, ClientView]:
    require_staff(caller)
    client = await lock_client_of(uow.session, caller, Invoice, invoice_id, "invoice")
    invoice = await repo.get_invoice(uow.session, caller, invoice_id, for_update=True)
    return invoice, client


async def update_invoice(
    uow: UnitOfWork, caller: Caller, invoice_id: uuid.UUID, command: InvoicePatch
) -> Invoice:
    invoice, _client = await locked_invoice(uow, caller, invoice_id)
    try:
        check_editable(invoice.status)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    fields = command.model_dump(exclude_unset=True)
    before = audit.state(invoice, DRAFT_FIELDS)
    reprice(invoice, command.lines, fields.get("currency", invoice.currency))
    if "notes" in fields:
        invoice.notes = command.notes or None
    invoice.updated_at = uow.clock.now()
    await uow.session.flush()
    await audit.changed(uow, caller, "invoice", invoice, before, DRAFT_FIELDS)
    return invoice


async def issue_invoice(
    uow: UnitOfWork,
    caller: Caller,
    invoice_id: uuid.UUID,
    command: IssueIn,
    settings: BillingSettings,
    paid: Decimal = Decimal(0),
) -> Invoice:
    """Draft -> issued: the year's next number (gap-free: the counter row is locked until
    this transaction commits), the dates, the client's credit in the currency applied, the
    contract's budget thresholds checked. ``paid``: what an imported invoice had been paid
    before it came (:func:`paid_before`)."""
    invoice, client = await locked_invoice(uow, caller, invoice_id)
    try:
        check_issue(invoice.status, len(invoice.lines))
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    today = client_today(client, uow)
    contract = await uow.session.get(Contract, invoice.contract_id) if invoice.contract_id else None
    terms = await dunning_terms(uow, client, settings)
    # The invoice as issued (written with its number below: one UPDATE on PostgreSQL).
    now = uow.clock.now()
    issued = issued_values(caller, command, contract, today, terms, now)
    issue_date = issued["issue_date"]
    if paid:
        columns, allocation = paid_before(invoice, paid, issued["due_date"], today, now)
        issued.update(columns)
        uow.session.add(allocation)
    credit = (await credit_balances(uow.session, client.id)).get(invoice.currency)
    # What the contract's invoices add up to with this one: read before the number (the
    # client's lock, taken first, serialises the issues against its contracts).
    invoiced = None
    if contract is not None and contract.budget_amount is not None:
        currency = contract.budget_currency or invoice.currency
        invoiced = await repo.invoiced_against(uow.session, contract.id, currency)
        if invoice.currency == currency:
            invoiced += invoice.total
    before = audit.state(invoice, INVOICE_FIELDS)
    for name, value in issued.items():
        setattr(invoice, name, value)
    # The number last: the year's counter row stays locked from here to the commit, so
    # everything that can be done before is done before (issuing keeps its rate).
    await _number_and_announce(uow, invoice, client, issue_date.year, issued)
    if credit:
        await apply_credit(uow, invoice, client, today, credit)
    if contract is not None and invoiced is not None:
        await budget_thresholds(uow, contract, client, invoiced)
    await audit.changed(uow, caller, "invoice", invoice, before, INVOICE_FIELDS)
    return invoice


def issued_values(
    caller: Caller,
    command: IssueIn,
    contract: Contract | None,
    today: date,
    terms: dunning.Terms,
    now: datetime,
) -> dict[str, Any]:
    """An invoice's columns as issued by ``caller`` on the client's ``today`` (the number
    aside): the dates (the due date after the contract's payment terms unless given; a 422
    when before the issue date), the first day payment control looks at it."""
    issue_date = command.issue_date or today
    terms_days = contract.payment_terms_days if contract else DEFAULT_PAYMENT_TERMS_DAYS
    due_date = command.due_date or issue_date + timedelta(days=terms_days)
    if due_date < issue_date:
        raise Invalid.field("due_date", "must not be before issue_date")
    return {
        "issue_date": issue_date,
        "due_date": due_date,
        "status": ISSUED,
        "issued_by": caller.id,
        "next_action_on": first_action_on(due_date, terms.schedule),
        "updated_at": now,
    }


def paid_before(
    invoice: Invoice, paid: Decimal, due_date: date, today: date, now: datetime
) -> tuple[dict[str, Any], Allocation]:
    """An imported invoice ``paid`` in part before it came (less than its total): the
    columns it is issued with (what was paid, the status that follows, as for a payment),
    and the allocation that records it (``source`` ``import``: no payment of Orbit's, so
    in no payment list; the ageing counts it from the import on)."""
    allocation = Allocation(
        id=uuid.uuid4(),
        invoice_id=invoice.id,
        payment_id=None,
        amount=paid,
        source="import",
        position=0,
        created_at=now,
    )
    status = status_after_payment(invoice.total, paid, due_date, today)
    return {"amount_paid": paid, "status": status}, allocation


def needs_one_by_one(contract: Contract | None, credit: Decimal | None) -> bool:
    """Whether issuing a draft of ``contract`` does more than number it (the client's
    ``credit`` in the draft's currency applied, the contract's budget checked):
    :func:`issue_invoice` then, not :func:`issue_drafts`."""
    return bool(credit) or (contract is not None and contract.budget_amount is not None)


async def issue_drafts(
    uow: UnitOfWork,
    caller: Caller,
    drafts: Sequence[tuple[Invoice, ClientView, dict[str, Any]]],
    allocations: Sequence[Allocation] = (),
) -> None:
    """:func:`create_invoice` then :func:`issue_invoice` of many invoices at once (an
    import): each draft made by :func:`priced_draft` with its :func:`issued_values`, for its
    client (locked in scope by the caller), needing nothing but its number
    (:func:`needs_one_by_one`). Each year's numbers are taken in one step of its counter
    (locked until the commit, gap-free: in the given order), then one INSERT writes the
    invoices (then one their ``allocations``: :func:`paid_before`), one their audit rows
    (each as created, then as issued), one their ``invoice.issued`` events."""
    require_staff(caller)
    if not drafts:
        return
    years: dict[int, list[Invoice]] = {}
    before = []
    for invoice, _, issued in drafts:
        before.append(audit.state(invoice, INVOICE_FIELDS))
        for name, value in issued.items():
            setattr(invoice, name, value)
        years.setdefault(issued["issue_date"].year, []).append(invoice)
    for year in sorted(years):
        numbered = years[year]
        last = await repo.next_invoice_number(uow.session, year, count=len(numbered))
        for n, invoice in enumerate(numbered, start=last - len(numbered) + 1):
            invoice.number = invoice_number(year, n)
    trail: list[audit.EntityChanges] = []
    for (invoice, _, issued), was in zip(drafts, before, strict=True):
        drafted = audit.diff(dict.fromkeys(DRAFT_FIELDS), was, DRAFT_FIELDS)  # as created
        trail.append(("invoice", invoice.id, drafted))
        # The issue changes the number and ``issued``'s fields: only those are read again.
        changed = [name for name in INVOICE_FIELDS if name == "number" or name in issued]
        after = {**was, **audit.state(invoice, changed)}
        trail.append(("invoice", invoice.id, audit.diff(was, after, INVOICE_FIELDS)))
    await insert_all(uow.session, [invoice for invoice, _, _ in drafts])
    await insert_all(uow.session, allocations)
    await audit.record_many(uow, caller.id, trail)
    await uow.emit_all(
        [InvoiceIssuedV1(**invoice_fields(invoice, client)) for invoice, client, _ in drafts]
    )


async def _number_and_announce(
    uow: UnitOfWork, invoice: Invoice, client: ClientView, year: int, issued: dict[str, Any]
) -> None:
    """The invoice's number, its ``issued`` columns, and its ``invoice.issued`` in the
    outbox. On PostgreSQL one statement takes the counter's lock and writes all three
    (:func:`repo.number_and_publish`); elsewhere (SQLite: a write transaction holds the whole
    database from its start, the order makes no difference) three."""
    session = uow.session
    if session.get_bind().dialect.name != "postgresql":
        invoice.number = invoice_number(year, await repo.next_invoice_number(session, year))
        await session.flush()
        await uow.emit(InvoiceIssuedV1(**invoice_fields(invoice, client)))
        return
    placeholder = f"@@orbit-invoice-number-{uuid.uuid4().hex}@@"
    event = InvoiceIssuedV1(**{**invoice_fields(invoice, client), "number": placeholder})
    now = uow.clock.now()
    envelope = event.to_cloudevent(time=now)
    row = outbox_row(event, envelope, now)
    statement = repo.number_and_publish(invoice.id, year, issued, row, placeholder)
    number = await session.scalar(statement)
    if number is None:  # the year's first invoice: its counter row, then again
        await repo.create_counter(session, year)
        number = await session.scalar(statement)
    assert number is not None
    # The row holds them now: nothing left for the session to flush.
    for name, value in {**issued, "number": number}.items():
        set_committed_value(invoice, name, value)
    uow.emitted.append(
        event.model_copy(update={"number": number}).to_cloudevent(event_id=envelope.id, time=now)
    )


async def dunning_terms(
    uow: UnitOfWork, client: ClientView, settings: BillingSettings
) -> dunning.Terms:
    """The client's department's dunning terms (``/api/v1/settings``), else the
    environment's."""
    department = client.account_manager_department
    documents = await policy_documents(uow.session, department)
    return dunning.terms(documents, department, settings.dunning_terms)


def first_action_on(due_date: date, steps: tuple[int, ...]) -> date:
    """The first day payment control may have something to do: the first dunning step or
    the day after the due date (overdue), whichever comes first."""
    return min(due_date + timedelta(days=steps[0]), due_date + timedelta(days=1))


async def apply_credit(
    uow: UnitOfWork, invoice: Invoice, client: ClientView, today: date, credit: Decimal
) -> None:
    """Settle what the client's ``credit`` in the invoice's currency can of its balance."""
    amount = credit_to_apply(credit, balance(invoice))
    if amount <= 0:
        return
    now = uow.clock.now()
    uow.session.add(
        Allocation(
            id=uuid.uuid4(),
            invoice_id=invoice.id,
            payment_id=None,
            amount=amount,
            source="credit",
            position=0,
            created_at=now,
        )
    )
    uow.session.add(
        CreditEntry(
            id=uuid.uuid4(),
            client_id=client.id,
            currency=invoice.currency,
            amount=-amount,
            payment_id=None,
            invoice_id=invoice.id,
            created_at=now,
        )
    )
    await settle(uow, invoice, client, amount, today)


async def settle(
    uow: UnitOfWork, invoice: Invoice, client: ClientView, amount: Decimal, today: date
) -> None:
    """``amount`` paid on ``invoice``: its status follows; paid in full, it leaves payment
    control (a promise to pay by then was kept) and ``invoice.paid`` is emitted."""
    take_payment(uow, invoice, amount, today)
    await uow.session.flush()
    await emit_if_paid(uow, invoice, client, today)


def take_payment(uow: UnitOfWork, invoice: Invoice, amount: Decimal, today: date) -> None:
    """The state half of :func:`settle` (nothing written or emitted yet)."""
    invoice.amount_paid += amount
    invoice.status = status_after_payment(
        invoice.total, invoice.amount_paid, invoice.due_date, today
    )
    invoice.updated_at = uow.clock.now()
    if invoice.status == PAID:
        invoice.paid_on = today
        invoice.next_action_on = None
        if invoice.promised_on is not None and invoice.promise_state == dunning.PENDING:
            invoice.promise_state = dunning.promise_outcome(invoice.promised_on, today, today)


async def emit_if_paid(uow: UnitOfWork, invoice: Invoice, client: ClientView, today: date) -> None:
    """``invoice.paid`` for an invoice :func:`take_payment` paid in full."""
    if invoice.status == PAID:
        await uow.emit(InvoicePaidV1(**invoice_fields(invoice, client), paid_on=today))


async def budget_thresholds(
    uow: UnitOfWork, contract: Contract, client: ClientView, invoiced: Decimal
) -> None:
    """``budget.threshold_reached`` at each threshold of the contract's budget (80 % and
    100 % unless the client's department's policy sets others: ``budget_thresholds``), once
    each (one statement claims the keys; the outbox is written only for a new one)."""
    if contract.budget_amount is None or contract.budget_currency is None:
        return
    thresholds = await policy_value_of(
        uow.session, client.account_manager_department, "budget_thresholds", THRESHOLDS
    )
    await uow.emit_once_many(
        [
            (
                f"budget:{contract.id}:{threshold}",
                BudgetThresholdReachedV1(
                    **client.team(),
                    contract_id=contract.id,
                    contract_number=contract.number,
                    threshold=threshold,
                    budget=format_amount(contract.budget_amount, contract.budget_currency),
                    invoiced=format_amount(invoiced, contract.budget_currency),
                    currency=contract.budget_currency,
                ),
            )
            for threshold in thresholds_reached(contract.budget_amount, invoiced, tuple(thresholds))
        ]
    )


async def void_invoice(uow: UnitOfWork, caller: Caller, invoice_id: uuid.UUID) -> Invoice:
    invoice, client = await locked_invoice(uow, caller, invoice_id)
    try:
        check_void(invoice.status, invoice.amount_paid)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    was_issued = invoice.status != DRAFT
    await audit.record(uow, caller.id, "invoice", invoice.id, {"status": (invoice.status, VOID)})
    invoice.status = VOID
    invoice.next_action_on = None
    invoice.updated_at = uow.clock.now()
    await uow.session.flush()
    if was_issued:
        await uow.emit(InvoiceVoidedV1(**invoice_fields(invoice, client)))
    return invoice


async def promise_to_pay(
    uow: UnitOfWork, caller: Caller, invoice_id: uuid.UUID, command: PromiseIn
) -> Invoice:
    """The client promises to pay by ``promised_on``: reminders pause until then."""
    invoice, client = await locked_invoice(uow, caller, invoice_id)
    if invoice.status not in OPEN:
        raise Conflict(
            f"the invoice is {invoice.status}: only an unpaid issued invoice takes a promise to pay"
        )
    today = client_today(client, uow)
    if command.promised_on < today:
        raise Invalid.field("promised_on", "must not be in the past")
    before = audit.state(invoice, INVOICE_FIELDS)
    invoice.promised_on = command.promised_on
    invoice.promise_note = command.note or None
    invoice.promise_state = dunning.PENDING
    check_on = command.promised_on + timedelta(days=1)
    invoice.next_action_on = min(invoice.next_action_on or check_on, check_on)
    invoice.updated_at = uow.clock.now()
    await uow.session.flush()
    await audit.changed(uow, caller, "invoice", invoice, before, INVOICE_FIELDS)
    return invoice
