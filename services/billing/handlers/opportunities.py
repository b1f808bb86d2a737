"""Opportunities (upsell and sales projects): stages, ``lost_reason`` required for lost."""

from __future__ import annotations

import uuid

from services.billing.commands import OpportunityIn, OpportunityPatch
from services.billing.domain.opportunities import StageError, change_stage
from services.billing.events import OpportunityStageChangedV1
from services.billing.handlers.common import money, require_staff
from services.billing.snapshots import opportunity_fields
from services.billing.store import opportunities as repo
from services.billing.store.clients import (
    get_client,
    is_active_staff,
    lock_client_of,
)
from services.billing.store.models import Opportunity
from shared import audit
from shared.auth import Caller, Role
from shared.errors import Conflict, Invalid
from shared.replicas import ClientView
from shared.uow import UnitOfWork

# An opportunity's fields in its audit trail (``GET /api/v1/opportunities/{id}/audit``).
OPPORTUNITY_FIELDS = (
    "client_id",
    "title",
    "kind",
    "stage",
    "value_amount",
    "value_currency",
    "expected_close",
    "owner_id",
    "lost_reason",
)


def _stage(old: str, new: str, lost_reason: str | None) -> str | None:
    try:
        return change_stage(old, new, lost_reason)
    except StageError as exc:
        if exc.conflict:
            raise Conflict(str(exc)) from exc
        raise Invalid.field("lost_reason", str(exc)) from exc


async def _check_owner(uow: UnitOfWork, owner_id: uuid.UUID | None) -> None:
    if owner_id is not None and not await is_active_staff(uow.session, owner_id):
        raise Invalid.field("owner_id", "not an active member of staff")


async def _emit(
    uow: UnitOfWork, opportunity: Opportunity, client: ClientView, old: str | None
) -> None:
    await uow.emit(
        OpportunityStageChangedV1(**opportunity_fields(opportunity, client), old_stage=old)
    )


async def create_opportunity(
    uow: UnitOfWork, caller: Caller, command: OpportunityIn
) -> Opportunity:
    require_staff(caller)
    client = await get_client(uow.session, caller, command.client_id, for_update=True)
    lost_reason = _stage(command.stage, command.stage, command.lost_reason)
    owner_id = command.owner_id
    if owner_id is None and caller.role in (Role.MANAGER, Role.HEAD):
        owner_id = caller.id
    await _check_owner(uow, command.owner_id)
    amount, currency = money(command.value, "value")
    now = uow.clock.now()
    opportunity = Opportunity(
        id=uuid.uuid4(),
        client_id=client.id,
        title=command.title,
        kind=command.kind,
        stage=command.stage,
        value_amount=amount,
        value_currency=currency,
        expected_close=command.expected_close,
        owner_id=owner_id,
        lost_reason=lost_reason,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(opportunity)
    await uow.session.flush()
    await audit.created(uow, caller, "opportunity", opportunity, OPPORTUNITY_FIELDS)
    await _emit(uow, opportunity, client, None)
    return opportunity


async def update_opportunity(
    uow: UnitOfWork, caller: Caller, opportunity_id: uuid.UUID, command: OpportunityPatch
) -> Opportunity:
    require_staff(caller)
    client = await lock_client_of(uow.session, caller, Opportunity, opportunity_id, "opportunity")
    opportunity = await repo.get_opportunity(uow.session, caller, opportunity_id, for_update=True)
    fields = command.model_dump(exclude_unset=True)
    before = audit.state(opportunity, OPPORTUNITY_FIELDS)
    old_stage = opportunity.stage
    stage = fields.get("stage", old_stage)
    if stage != old_stage or "lost_reason" in fields:
        opportunity.lost_reason = _stage(
            old_stage,
            stage,
            fields.get("lost_reason", opportunity.lost_reason if stage == "lost" else None),
        )
        opportunity.stage = stage
    for name in ("title", "kind", "expected_close"):
        if name in fields:
            setattr(opportunity, name, fields[name])
    if "owner_id" in fields:
        await _check_owner(uow, command.owner_id)
        opportunity.owner_id = command.owner_id
    if "value" in fields:
        opportunity.value_amount, opportunity.value_currency = money(command.value, "value")
    opportunity.updated_at = uow.clock.now()
    await uow.session.flush()
    await audit.changed(uow, caller, "opportunity", opportunity, before, OPPORTUNITY_FIELDS)
    if opportunity.stage != old_stage:
        await _emit(uow, opportunity, client, old_stage)
    return opportunity
