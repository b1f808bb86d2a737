"""The clients service's knobs (environment ``ORBIT_...`` like every setting)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import OrbitSettings


class ClientsSettings(OrbitSettings):
    # Per-tier SLA defaults; key clients get the tightest. ORBIT_SLA_DEFAULTS takes JSON.
    sla_defaults: dict[str, dict[str, int]] = Field(
        default_factory=lambda: {
            "key": {"first_response_minutes": 60, "contact_cadence_days": 3,
                    "meeting_report_hours": 24},
            "standard": {"first_response_minutes": 240, "contact_cadence_days": 7,
                         "meeting_report_hours": 48},
            "small": {"first_response_minutes": 480, "contact_cadence_days": 14,
                      "meeting_report_hours": 72},
        }
    )
    # Working hours of a client's calendar when it sets none (its own timezone and country).
    default_working_hours: dict[str, list[str]] = Field(
        default_factory=lambda: {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
    birthday_notice_days: int = Field(default=7, ge=0, le=60)
