"""Queries of estimates, in the caller's scope (``store.clients.scope``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.estimates import DRAFT, EXPIRED
from services.billing.store.clients import scope
from services.billing.store.invoices import before_client_today
from services.billing.store.models import ESTIMATE_SORTS, Estimate
from shared.auth import Caller
from shared.store import one_or_404

# The fields the list sorts by (``?sort=``), each backed by an index.
SORTS = ESTIMATE_SORTS


def expired(now: datetime) -> ColumnElement[bool]:
    """SQL: a draft past its ``valid_until`` (the client's today at ``now``)."""
    return and_(
        Estimate.status == DRAFT,
        Estimate.valid_until.is_not(None),
        before_client_today(Estimate.valid_until, Estimate.client_timezone, now),
    )


def estimate_status_is(status: str, now: datetime) -> ColumnElement[bool]:
    """SQL: the estimate's status as the API shows it at ``now`` is ``status``
    (``domain.estimates.effective_status``)."""
    if status == EXPIRED:
        return expired(now)
    if status == DRAFT:
        return and_(Estimate.status == DRAFT, not_(expired(now)))
    return Estimate.status == status


def estimates(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    status: str | None = None,
    now: datetime | None = None,
    valid_until_before: date | None = None,
) -> Select[Any]:
    """The estimates of the clients the caller may see, narrowed by the list's filters:
    ``status`` is the one shown at ``now``."""
    stmt = select(Estimate).where(scope(caller, Estimate.client_id))
    if valid_until_before is not None:
        stmt = stmt.where(Estimate.valid_until <= valid_until_before)
    if client_id is not None:
        stmt = stmt.where(Estimate.client_id == client_id)
    if status is not None:
        assert now is not None
        stmt = stmt.where(estimate_status_is(status, now))
    return stmt


async def get_estimate(
    session: AsyncSession, caller: Caller, estimate_id: uuid.UUID, *, for_update: bool = False
) -> Estimate:
    stmt = estimates(caller).where(Estimate.id == estimate_id)
    return await one_or_404(session, stmt, Estimate, "estimate", estimate_id, for_update=for_update)
