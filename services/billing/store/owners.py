"""The client a contract or an invoice belongs to (documents attached to them are kept by the
clients service: ``shared.owner_routes``)."""

from __future__ import annotations

from services.billing.store.models import Contract, Invoice
from shared.owner_routes import OwnerQuery, client_of
from shared.owners import OwnerType

OWNER_QUERIES: dict[OwnerType, OwnerQuery] = {
    "contract": client_of(Contract.client_id, Contract.id),
    "invoice": client_of(Invoice.client_id, Invoice.id),
}
