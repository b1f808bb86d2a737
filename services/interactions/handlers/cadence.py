"""Contact cadence per client: when it was last contacted and when the next contact is due.

A client's row starts when this service first learns of the client (its replica, from the
clients events), moves with every contact (an outbound interaction or a meeting), and follows
changes of the client's ``contact_cadence_days``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.interactions.domain import cadence
from services.interactions.store.cadence import cadence_row, last_contact_at
from services.interactions.store.models import ContactCadence
from shared.db import insert_ignore
from shared.uow import UnitOfWork

DEFAULT_CADENCE_DAYS = 7


def cadence_days(sla: dict[str, Any] | None) -> int:
    value = (sla or {}).get("contact_cadence_days")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return DEFAULT_CADENCE_DAYS


async def track_client(
    uow: UnitOfWork, client_id: uuid.UUID, days: int, known_at: datetime
) -> None:
    """Start the client's cadence when first seen, or follow a change of its cadence."""
    # First seen (every client.created): one INSERT, no read of the row nor ORM flush.
    started = await insert_ignore(
        uow.session,
        ContactCadence.__table__,  # type: ignore[arg-type]
        {
            "client_id": client_id,
            "last_contact_at": None,
            "since": known_at,
            "cadence_days": days,
            "due_at": cadence.contact_due_at(known_at, days),
            "notified_due_at": None,
            "warned_due_at": None,
            "known_at": known_at,
        },
    )
    if started:
        return
    row = await cadence_row(uow.session, client_id)
    if row is not None and row.cadence_days != days:
        row.cadence_days = days
        row.due_at = cadence.contact_due_at(row.since, days)
        await uow.session.flush()


async def record_contact(
    uow: UnitOfWork, client_id: uuid.UUID, days: int, occurred_at: datetime
) -> None:
    """A contact at ``occurred_at``: the next one is due ``days`` later (a contact logged
    late, before the last known one, changes nothing)."""
    row = await cadence_row(uow.session, client_id)
    if row is None:
        row = ContactCadence(
            client_id=client_id,
            last_contact_at=None,
            since=occurred_at,
            cadence_days=days,
            due_at=occurred_at,
            notified_due_at=None,
            warned_due_at=None,
            known_at=occurred_at,
        )
        uow.session.add(row)
    last = cadence.later_contact(row.last_contact_at, occurred_at)
    row.last_contact_at = last
    row.since = last
    row.cadence_days = days
    row.due_at = cadence.contact_due_at(last, days)
    await uow.session.flush()


async def forget_contact(uow: UnitOfWork, client_id: uuid.UUID, days: int) -> None:
    """A contact retracted: the cadence counts from the last contact that still counts, or
    from when the client became known when none does."""
    row = await cadence_row(uow.session, client_id)
    if row is None:
        return
    last = await last_contact_at(uow.session, client_id)
    row.last_contact_at = last
    row.since = cadence.cadence_start(last, row.known_at or row.since)
    row.cadence_days = days
    row.due_at = cadence.contact_due_at(row.since, days)
    await uow.session.flush()
