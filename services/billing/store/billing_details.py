"""A client's legal and bank details (billing's own table, keyed by the client) and what the
documents need of the client replica."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.documents import DETAILS, Party
from services.billing.store.models import ClientBillingDetails
from shared.replicas import client_replica

# The columns a PUT replaces: the legal name, the details a document prints, the language.
DETAIL_FIELDS = ("legal_name", *DETAILS, "language")


async def billing_details(
    session: AsyncSession, client_id: uuid.UUID, *, for_update: bool = False
) -> ClientBillingDetails | None:
    """The client's details (the caller's scope checked by the caller: ``get_client``)."""
    return await session.get(ClientBillingDetails, client_id, with_for_update=for_update)


async def client_country(session: AsyncSession, client_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(client_replica.c.country).where(client_replica.c.id == client_id)
    )


def party_of(name: str, details: ClientBillingDetails | None) -> Party:
    """The client as its documents name it: its legal name when entered, else its name."""
    if details is None:
        return Party(name)
    return Party(details.legal_name or name, **{f: getattr(details, f) for f in DETAILS})
