"""/api/v1/clients/{id}/billing-details: a client's legal and bank details (billing's own),
printed on its invoices and certificates of completed work."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.billing.api.deps import CallerDep, RuntimeDep, StaffDep
from services.billing.api.presenters import billing_details_out
from services.billing.api.schemas import BillingDetailsOut
from services.billing.commands import BillingDetailsIn
from services.billing.handlers import billing_details as handlers
from services.billing.store.billing_details import billing_details
from services.billing.store.clients import get_client
from shared.commands import run_command

router = APIRouter(prefix="/api/v1/clients", tags=["billing details"])


@router.get(
    "/{client_id}/billing-details",
    response_model=BillingDetailsOut,
    operation_id="getClientBillingDetails",
)
async def get_billing_details(
    client_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep
) -> BillingDetailsOut:
    """The client's legal and bank details (all null until entered)."""
    async with runtime.reads() as session:
        client = await get_client(session, caller, client_id)
        details = await billing_details(session, client.id)
    return billing_details_out(client.id, details)


@router.put(
    "/{client_id}/billing-details",
    response_model=BillingDetailsOut,
    operation_id="putClientBillingDetails",
)
async def put_billing_details(
    client_id: uuid.UUID, body: BillingDetailsIn, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Replace the client's legal name, tax id (INN or VAT number), registration code
    (KPP), address, bank, account, bank code (BIC or SWIFT), correspondent account and its
    documents' language (``ru`` or ``en``); a field left out is cleared."""
    return await run_command(
        runtime.uow,
        lambda uow: handlers.put_billing_details(uow, caller, client_id, body),
        lambda d: billing_details_out(d.client_id, d),
        caller_id=caller.id,
    )
