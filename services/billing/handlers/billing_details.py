"""A client's legal and bank details: entered by whoever may act on its billing."""

from __future__ import annotations

import uuid

from services.billing.commands import BillingDetailsIn
from services.billing.handlers.common import require_staff
from services.billing.store.billing_details import DETAIL_FIELDS, billing_details
from services.billing.store.clients import get_client
from services.billing.store.models import ClientBillingDetails
from shared.auth import Caller
from shared.uow import UnitOfWork


async def put_billing_details(
    uow: UnitOfWork, caller: Caller, client_id: uuid.UUID, command: BillingDetailsIn
) -> ClientBillingDetails:
    """Replace the client's details (the client's lock serialises two writers)."""
    require_staff(caller)
    client = await get_client(uow.session, caller, client_id, for_update=True)
    details = await billing_details(uow.session, client.id, for_update=True)
    if details is None:
        details = ClientBillingDetails(client_id=client.id)
        uow.session.add(details)
    for name in DETAIL_FIELDS:
        setattr(details, name, getattr(command, name))
    details.updated_by, details.updated_at = caller.id, uow.clock.now()
    await uow.session.flush()
    return details
