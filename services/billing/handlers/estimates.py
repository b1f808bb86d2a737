"""Estimates: lines like an invoice's; approved, they become a draft invoice."""

from __future__ import annotations

import uuid

from services.billing.commands import EstimateIn
from services.billing.domain.estimates import APPROVED, DRAFT, INVOICED
from services.billing.handlers.common import checked_lines, require_staff
from services.billing.handlers.invoices import new_draft
from services.billing.store import estimates as repo
from services.billing.store.clients import get_client, lock_client_of
from services.billing.store.models import Contract, Estimate, Invoice
from shared.auth import Caller
from shared.errors import Conflict, Invalid
from shared.uow import UnitOfWork


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
    return estimate


async def _locked(uow: UnitOfWork, caller: Caller, estimate_id: uuid.UUID) -> Estimate:
    require_staff(caller)
    await lock_client_of(uow.session, caller, Estimate, estimate_id, "estimate")
    return await repo.get_estimate(uow.session, caller, estimate_id, for_update=True)


async def approve_estimate(uow: UnitOfWork, caller: Caller, estimate_id: uuid.UUID) -> Estimate:
    estimate = await _locked(uow, caller, estimate_id)
    if estimate.status != DRAFT:
        raise Conflict(f"the estimate is {estimate.status} already")
    estimate.status = APPROVED
    estimate.approved_by = caller.id
    estimate.updated_at = uow.clock.now()
    await uow.session.flush()
    return estimate


async def invoice_estimate(uow: UnitOfWork, caller: Caller, estimate_id: uuid.UUID) -> Invoice:
    """A draft invoice with the approved estimate's lines (once per estimate)."""
    estimate = await _locked(uow, caller, estimate_id)
    if estimate.status != APPROVED:
        raise Conflict(
            "the estimate was invoiced already"
            if estimate.status == INVOICED
            else "approve the estimate first"
        )
    invoice = await new_draft(
        uow,
        estimate.client_id,
        estimate.contract_id,
        estimate.currency,
        [dict(line) for line in estimate.lines],
        estimate.subtotal,
        estimate.tax,
        estimate.title,
        estimate.id,
    )
    estimate.status = INVOICED
    estimate.invoice_id = invoice.id
    estimate.updated_at = uow.clock.now()
    await uow.session.flush()
    return invoice
