"""Estimates: lines like an invoice's; a draft can be edited or rejected (with a reason);
approved (before its ``valid_until``), an estimate becomes a draft invoice. Each step
emits its ``estimate.*`` event (the audit trail: who, and why for a rejection)."""

from __future__ import annotations

import copy
import uuid

from services.billing.commands import EstimateIn, EstimatePatch, ReasonIn
from services.billing.domain.estimates import (
    APPROVED,
    DRAFT,
    INVOICED,
    REJECTED,
    IllegalTransition,
    check_approve,
    check_editable,
    check_reject,
)
from services.billing.events import (
    EstimateApprovedV1,
    EstimateCreatedV1,
    EstimateInvoicedV1,
    EstimateRejectedV1,
    EstimateUpdatedV1,
)
from services.billing.handlers.common import (
    checked_lines,
    client_today,
    reprice,
    require_staff,
)
from services.billing.handlers.invoices import draft_of, store_draft
from services.billing.snapshots import estimate_fields
from services.billing.store import estimates as repo
from services.billing.store.clients import get_client, lock_client_of
from services.billing.store.models import Contract, Estimate, Invoice
from shared import audit
from shared.auth import Caller
from shared.errors import Conflict, Invalid
from shared.replicas import ClientView
from shared.uow import UnitOfWork

# A draft's fields in its audit trail when patched.
EDITABLE = ("title", "valid_until", "currency", "lines")


async def create_estimate(uow: UnitOfWork, caller: Caller, command: EstimateIn) -> Estimate:
    require_staff(caller)
    client = await get_client(uow.session, caller, command.client_id, for_update=True)
    if command.contract_id is not None:
        contract = await uow.session.get(Contract, command.contract_id)
        if contract is None or contract.client_id != client.id:
            raise Invalid.field("contract_id", "not a contract of this client")
    lines, totals = checked_lines(command.lines, command.currency)
    now = uow.clock.now()
    estimate = Estimate(
        id=uuid.uuid4(),
        client_id=client.id,
        contract_id=command.contract_id,
        title=command.title,
        currency=command.currency,
        lines=lines,
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        status=DRAFT,
        valid_until=command.valid_until,
        invoice_id=None,
        approved_by=None,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(estimate)
    await uow.session.flush()
    await uow.session.refresh(estimate, ["client_timezone"])
    await uow.emit(EstimateCreatedV1(**estimate_fields(estimate, client)))
    return estimate


async def _locked(
    uow: UnitOfWork, caller: Caller, estimate_id: uuid.UUID
) -> tuple[Estimate, ClientView]:
    require_staff(caller)
    client = await lock_client_of(uow.session, caller, Estimate, estimate_id, "estimate")
    estimate = await repo.get_estimate(uow.session, caller, estimate_id, for_update=True)
    return estimate, client


async def update_estimate(
    uow: UnitOfWork, caller: Caller, estimate_id: uuid.UUID, command: EstimatePatch
) -> Estimate:
    """A draft's fields (an expired draft too: a new ``valid_until`` revives it)."""
    estimate, client = await _locked(uow, caller, estimate_id)
    try:
        check_editable(estimate.status)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    fields = command.model_dump(exclude_unset=True)
    before = {name: copy.deepcopy(getattr(estimate, name)) for name in EDITABLE}
    was = (estimate.lines, estimate.currency)
    changed = []
    if reprice(estimate, command.lines, fields.get("currency", estimate.currency)):
        changed += [
            n
            for n, old, new in zip(
                ("lines", "currency"), was, (estimate.lines, estimate.currency), strict=True
            )
            if old != new
        ]
    for name in ("title", "valid_until"):
        if name in fields and fields[name] != getattr(estimate, name):
            setattr(estimate, name, fields[name])
            changed.append(name)
    if "valid_until" in changed:
        estimate.expiry_noticed_on = None  # the expiry scan looks at the new day
    if not changed:
        return estimate
    estimate.updated_at = uow.clock.now()
    await uow.session.flush()
    after = {name: getattr(estimate, name) for name in EDITABLE}
    await audit.record(uow, caller.id, "estimate", estimate.id, audit.diff(before, after, EDITABLE))
    await uow.emit(EstimateUpdatedV1(**estimate_fields(estimate, client), changed=sorted(changed)))
    return estimate


async def approve_estimate(uow: UnitOfWork, caller: Caller, estimate_id: uuid.UUID) -> Estimate:
    """The client accepted the draft: before its ``valid_until`` (the client's today), or 409."""
    estimate, client = await _locked(uow, caller, estimate_id)
    try:
        check_approve(estimate.status, estimate.valid_until, client_today(client, uow))
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    estimate.status = APPROVED
    estimate.approved_by = caller.id
    estimate.updated_at = uow.clock.now()
    await uow.session.flush()
    await uow.emit(EstimateApprovedV1(**estimate_fields(estimate, client), approved_by=caller.id))
    return estimate


async def reject_estimate(
    uow: UnitOfWork, caller: Caller, estimate_id: uuid.UUID, command: ReasonIn
) -> Estimate:
    """The client declined the draft (an expired one too), for ``reason``."""
    estimate, client = await _locked(uow, caller, estimate_id)
    try:
        check_reject(estimate.status)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    await audit.record(
        uow,
        caller.id,
        "estimate",
        estimate.id,
        {"status": (estimate.status, REJECTED), "rejected_reason": (None, command.reason)},
    )
    estimate.status = REJECTED
    estimate.rejected_reason = command.reason
    estimate.updated_at = uow.clock.now()
    await uow.session.flush()
    await uow.emit(
        EstimateRejectedV1(
            **estimate_fields(estimate, client), reason=command.reason, rejected_by=caller.id
        )
    )
    return estimate


async def invoice_estimate(uow: UnitOfWork, caller: Caller, estimate_id: uuid.UUID) -> Invoice:
    """A draft invoice with the approved estimate's lines (once per estimate)."""
    estimate, client = await _locked(uow, caller, estimate_id)
    if estimate.status != APPROVED:
        raise Conflict(
            "the estimate was invoiced already"
            if estimate.status == INVOICED
            else f"the estimate is {estimate.status}: approve it first"
        )
    invoice = draft_of(
        client,
        estimate.contract_id,
        estimate.currency,
        [dict(line) for line in estimate.lines],
        estimate.subtotal,
        estimate.tax,
        estimate.title,
        estimate.id,
        uow.clock.now(),
    )
    await store_draft(uow, caller, invoice)
    await audit.record(
        uow,
        caller.id,
        "estimate",
        estimate.id,
        {"status": (estimate.status, INVOICED), "invoice_id": (None, invoice.id)},
    )
    estimate.status = INVOICED
    estimate.invoice_id = invoice.id
    estimate.updated_at = uow.clock.now()
    await uow.session.flush()
    await uow.emit(EstimateInvoicedV1(**estimate_fields(estimate, client), invoice_id=invoice.id))
    return invoice
