"""The interactions service's knobs (environment ``ORBIT_INTERACTIONS_...``; their unprefixed
names are still read, deprecated)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import OrbitSettings, renamed


class InteractionsSettings(OrbitSettings):
    model_config = renamed(
        "interactions", "sla_at_risk_fraction", "occurred_at_tolerance_minutes", "scan_batch_size"
    )

    # ORBIT_INTERACTIONS_SLA_AT_RISK_FRACTION: share of a request's business-time window after
    # which an unanswered request is at risk (sla.at_risk, once per request).
    interactions_sla_at_risk_fraction: float = Field(default=0.75, gt=0, lt=1)
    # ORBIT_INTERACTIONS_OCCURRED_AT_TOLERANCE_MINUTES: how far ahead of the server's clock
    # occurred_at may be (clocks differ); further ahead is a 422.
    interactions_occurred_at_tolerance_minutes: int = Field(default=5, ge=0, le=60)
    # ORBIT_INTERACTIONS_SCAN_BATCH_SIZE: due rows a scan handles per transaction.
    interactions_scan_batch_size: int = Field(default=500, ge=1, le=10_000)
