"""Contracts: create, change, renew (by hand; the scan renews and expires them at the end)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from services.billing.commands import ContractIn, ContractPatch, RenewIn
from services.billing.domain.contracts import (
    ACTIVE,
    TERMINATED,
    ContractDatesError,
    check_dates,
    notice_on,
    renewal,
)
from services.billing.events import ContractCreatedV1, ContractRenewedV1, ContractUpdatedV1
from services.billing.handlers.common import (
    created_changes,
    money,
    require_staff,
)
from services.billing.snapshots import contract_fields
from services.billing.store import contracts as repo
from services.billing.store.clients import get_client, lock_client_of
from services.billing.store.imports import insert_all
from services.billing.store.models import Contract
from shared import audit
from shared.auth import Caller
from shared.errors import Conflict, Invalid
from shared.replicas import ClientView
from shared.uow import UnitOfWork

# A contract's fields in its audit trail (``GET /api/v1/contracts/{id}/audit``).
CONTRACT_FIELDS = (
    "client_id",
    "number",
    "title",
    "starts_on",
    "ends_on",
    "auto_renew",
    "renewal_notice_days",
    "payment_terms_days",
    "value_amount",
    "value_currency",
    "budget_amount",
    "budget_currency",
    "status",
)


def next_check(contract: Contract) -> date | None:
    """The next day the contract scan has something to do for an active contract: the notice
    (unless sent for this end), else the day after the end."""
    if contract.status != ACTIVE:
        return None
    if contract.notice_sent_for != contract.ends_on:
        return notice_on(contract.ends_on, contract.renewal_notice_days)
    return contract.ends_on + timedelta(days=1)


async def _unique_number(
    uow: UnitOfWork, client_id: uuid.UUID, number: str, contract_id: uuid.UUID | None
) -> None:
    other = await repo.contract_by_number(uow.session, client_id, number)
    if other is not None and other.id != contract_id:
        raise duplicate_number(number)


def new_contract(client: ClientView, command: ContractIn, now: datetime) -> Contract:
    """The contract ``command`` makes for ``client`` (not stored yet; its number's uniqueness
    is the caller's to check)."""
    value, value_currency = money(command.value, "value")
    budget, budget_currency = money(command.budget, "budget")
    contract = Contract(
        id=uuid.uuid4(),
        client_id=client.id,
        number=command.number,
        title=command.title,
        starts_on=command.starts_on,
        ends_on=command.ends_on,
        auto_renew=command.auto_renew,
        renewal_notice_days=command.renewal_notice_days,
        payment_terms_days=command.payment_terms_days,
        value_amount=value,
        value_currency=value_currency,
        budget_amount=budget,
        budget_currency=budget_currency,
        status=ACTIVE,
        renewals=0,
        notice_sent_for=None,
        created_at=now,
        updated_at=now,
    )
    contract.next_check_on = next_check(contract)
    return contract


def duplicate_number(number: str) -> Conflict:
    return Conflict(f"the client already has a contract numbered {number!r}")


async def create_contract(uow: UnitOfWork, caller: Caller, command: ContractIn) -> Contract:
    require_staff(caller)
    client = await get_client(uow.session, caller, command.client_id, for_update=True)
    await _unique_number(uow, client.id, command.number, None)
    contract = new_contract(client, command, uow.clock.now())
    uow.session.add(contract)
    await uow.session.flush()
    await audit.created(uow, caller, "contract", contract, CONTRACT_FIELDS)
    await uow.emit(ContractCreatedV1(**contract_fields(contract, client)))
    return contract


async def create_contracts(
    uow: UnitOfWork, caller: Caller, created: Sequence[tuple[Contract, ClientView]]
) -> None:
    """:func:`create_contract` for many contracts at once (an import): each made by
    :func:`new_contract` for its client, which the caller locked in scope, its number
    checked unique. One INSERT of the contracts, one of their audit rows, one of their
    ``contract.created`` events, in the given order."""
    require_staff(caller)
    contracts = [contract for contract, _ in created]
    await insert_all(uow.session, contracts)
    await audit.record_many(
        uow,
        caller.id,
        [("contract", c.id, created_changes(c, CONTRACT_FIELDS)) for c in contracts],
    )
    await uow.emit_all([ContractCreatedV1(**contract_fields(c, client)) for c, client in created])


async def _locked(
    uow: UnitOfWork, caller: Caller, contract_id: uuid.UUID
) -> tuple[Contract, ClientView]:
    require_staff(caller)
    client = await lock_client_of(uow.session, caller, Contract, contract_id, "contract")
    contract = await repo.get_contract(uow.session, caller, contract_id, for_update=True)
    return contract, client


def contract_changes(contract: Contract, command: ContractPatch) -> dict[str, object]:
    """The fields ``command`` changes on ``contract``, ``{column: new value}`` (money checked
    for its currency's decimals: a 422 naming the field)."""
    fields = command.model_dump(exclude_unset=True)
    changes: dict[str, object] = {}
    for name in (
        "number",
        "title",
        "ends_on",
        "auto_renew",
        "renewal_notice_days",
        "payment_terms_days",
        "status",
    ):
        if name in fields and getattr(contract, name) != fields[name]:
            changes[name] = fields[name]
    for name in ("value", "budget"):
        if name in fields:
            amount, currency = money(getattr(command, name), name)
            if (getattr(contract, f"{name}_amount"), getattr(contract, f"{name}_currency")) != (
                amount,
                currency,
            ):
                changes[f"{name}_amount"], changes[f"{name}_currency"] = amount, currency
    return changes


async def update_contract(
    uow: UnitOfWork, caller: Caller, contract_id: uuid.UUID, command: ContractPatch
) -> Contract:
    contract, client = await _locked(uow, caller, contract_id)
    changes = contract_changes(contract, command)
    if "number" in changes:
        await _unique_number(uow, contract.client_id, str(changes["number"]), contract.id)
    if "ends_on" in changes:
        try:
            check_dates(contract.starts_on, changes["ends_on"])  # type: ignore[arg-type]
        except ContractDatesError as exc:
            raise Invalid.field("ends_on", str(exc)) from exc
    if "status" in changes and contract.status != ACTIVE:
        raise Conflict(f"the contract is {contract.status}: renew it instead")
    if not changes:
        return contract
    before = audit.state(contract, CONTRACT_FIELDS)
    for name, value in changes.items():
        setattr(contract, name, value)
    contract.next_check_on = next_check(contract)
    contract.updated_at = uow.clock.now()
    await uow.session.flush()
    await audit.changed(uow, caller, "contract", contract, before, CONTRACT_FIELDS)
    changed = sorted({n.removesuffix("_amount").removesuffix("_currency") for n in changes})
    await uow.emit(ContractUpdatedV1(**contract_fields(contract, client), changed=changed))
    return contract


async def renew(
    uow: UnitOfWork,
    contract: Contract,
    client: ClientView,
    ends_on: date | None,
    *,
    automatic: bool,
) -> ContractRenewedV1:
    """The contract's next period (the same term, or until ``ends_on``), active again; the
    event to emit (by hand: now; by the scan: once per period)."""
    previous = (contract.starts_on, contract.ends_on)
    if ends_on is None:
        contract.starts_on, contract.ends_on = renewal(*previous)
    else:
        if ends_on <= previous[1]:
            raise Invalid.field("ends_on", "must be after the current ends_on")
        contract.starts_on, contract.ends_on = previous[1] + timedelta(days=1), ends_on
    contract.status = ACTIVE
    contract.renewals += 1
    contract.notice_sent_for = None
    contract.next_check_on = next_check(contract)
    contract.updated_at = uow.clock.now()
    await uow.session.flush()
    return ContractRenewedV1(
        **contract_fields(contract, client),
        previous_starts_on=previous[0],
        previous_ends_on=previous[1],
        automatic=automatic,
    )


async def renew_contract(
    uow: UnitOfWork, caller: Caller, contract_id: uuid.UUID, command: RenewIn
) -> Contract:
    contract, client = await _locked(uow, caller, contract_id)
    if contract.status == TERMINATED:
        raise Conflict("the contract was terminated: it cannot be renewed")
    before = audit.state(contract, CONTRACT_FIELDS)
    renewed = await renew(uow, contract, client, command.ends_on, automatic=False)
    await audit.changed(uow, caller, "contract", contract, before, CONTRACT_FIELDS)
    await uow.emit(renewed)
    return contract
