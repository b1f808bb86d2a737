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
    # ORBIT_INTERACTIONS_TASK_DUE_SOON_HOURS: how long before an open task's deadline its
    # assignee is warned (task.due_soon, once per task and deadline).
    interactions_task_due_soon_hours: int = Field(default=24, ge=1, le=24 * 30)
    # ORBIT_INTERACTIONS_CONTACT_DUE_SOON_DAYS: how many days before a client's contact cadence
    # lapses the manager is warned (client.contact_due_soon, once per lapse), for cadences
    # longer than that (a shorter one would warn as soon as the client is contacted).
    interactions_contact_due_soon_days: int = Field(default=1, ge=1, le=90)
    # ORBIT_INTERACTIONS_MEETING_REMINDER_MINUTES: how long before a planned meeting starts its
    # staff participants are reminded (meeting.reminder, once per meeting and start).
    interactions_meeting_reminder_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # ORBIT_INTERACTIONS_MEETING_NO_OUTCOME_HOURS: how long after its end a meeting still
    # planned (neither held nor cancelled) is announced (meeting.no_outcome, once); until then
    # a planned meeting starting by a client's cadence lapse keeps that lapse's alerts quiet.
    interactions_meeting_no_outcome_hours: int = Field(default=4, ge=1, le=24 * 14)
