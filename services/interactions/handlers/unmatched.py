"""What the integrations could not match — a call from an unknown number, mail from an unknown
sender — assigned by hand: the same checks and the same record of who did it for either."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from services.interactions.commands import AssignIn
from shared.auth import Caller
from shared.errors import Conflict, Invalid
from shared.replicas import ClientView, lock_client
from shared.uow import UnitOfWork


class Assignable(Protocol):
    """An unmatched record (``Call``, ``InboundEmail``): assigned when and by whom."""

    assigned_at: datetime | None
    assigned_by: uuid.UUID | None


async def claim(
    uow: UnitOfWork,
    caller: Caller,
    record: Assignable,
    command: AssignIn,
    conflict: str | None,
) -> ClientView:
    """The client (its row locked) ``caller`` assigns ``record`` to: one they may see (404
    otherwise), the contact one of its contacts (422); ``conflict`` says why the record is
    not unmatched (409) when it is not. Records who assigned it and when."""
    contact_ids = [command.contact_id] if command.contact_id else []
    client = await lock_client(uow.session, caller, command.client_id, contact_ids)
    if conflict is not None:
        raise Conflict(conflict)
    if command.contact_id is not None and str(command.contact_id) not in client.contact_ids():
        raise Invalid.field("contact_id", "not a contact of this client")
    record.assigned_at = uow.clock.now()
    record.assigned_by = caller.id
    return client
