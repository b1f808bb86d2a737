"""/api/v1/reports/portfolio: the caller's portfolio at a glance."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.clients.api.deps import CallerDep, RuntimeDep
from services.clients.api.schemas import PortfolioOut
from services.clients.store import reports
from shared.exports import json_around

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/portfolio", response_model=PortfolioOut, operation_id="portfolioReport")
async def portfolio(
    caller: CallerDep,
    runtime: RuntimeDep,
    account_manager_id: uuid.UUID | None = None,
    birthday_days: Annotated[int, Query(ge=0, le=60)] = 14,
) -> Response:
    """Counts by status and tier (overall and per manager), key clients, clients without a
    decision-maker contact and birthdays in the next ``birthday_days`` days, within the
    caller's scope (a manager sees their own portfolio, a head their department's)."""
    async with runtime.sessions() as session:
        figures, lists = await reports.portfolio(
            session,
            caller,
            runtime.clock.now(),
            account_manager_id=account_manager_id,
            birthday_days=birthday_days,
        )
    # JSON straight from the report (a head's lists thousands of clients; PortfolioOut
    # documents it): its values hold the model's types already, so validating them first
    # only costs time (the API tests read every field of it)
    return json_around(figures, lists)
