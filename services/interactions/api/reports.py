"""/api/v1/reports: SLA compliance, contact cadence, feedback and activity (placeholder)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
