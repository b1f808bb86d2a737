"""The interactions service's knobs (environment ``ORBIT_...`` like every setting)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import OrbitSettings


class InteractionsSettings(OrbitSettings):
    # ORBIT_SLA_AT_RISK_FRACTION: share of a request's business-time window after which an
    # unanswered request is at risk (sla.at_risk, once per request).
    sla_at_risk_fraction: float = Field(default=0.75, gt=0, lt=1)
    # ORBIT_OCCURRED_AT_TOLERANCE_MINUTES: how far ahead of the server's clock occurred_at may
    # be (clocks differ); further ahead is a 422.
    occurred_at_tolerance_minutes: int = Field(default=5, ge=0, le=60)
    # ORBIT_SCAN_BATCH_SIZE: due rows a scan handles per transaction.
    scan_batch_size: int = Field(default=500, ge=1, le=10_000)
