"""The billing service's knobs (environment ``ORBIT_BILLING_...``; the unprefixed names of
the dunning knobs are still read, deprecated)."""

from __future__ import annotations

from pydantic import Field, field_validator

from services.billing.domain.dunning import ScheduleError, Terms, parse_schedule
from shared.settings import OrbitSettings, renamed


class BillingSettings(OrbitSettings):
    model_config = renamed("billing", "dunning_schedule", "dunning_escalate_from_days")

    # Days relative to the due date at which a reminder is due
    # (ORBIT_BILLING_DUNNING_SCHEDULE).
    billing_dunning_schedule: str = "-3,1,7,14,30"
    # Steps this many days past the due date (or later) carry escalate: true.
    billing_dunning_escalate_from_days: int = Field(default=14, ge=-366, le=366)
    # The seller printed on invoices and certificates of completed work: name, address,
    # tax id (INN or VAT number), registration code (KPP), bank, account (or IBAN), bank code
    # (BIC or SWIFT), correspondent account.
    billing_seller_name: str = "Orbit"
    billing_seller_address: str = ""
    billing_seller_tax_id: str = ""
    billing_seller_registration_code: str = ""
    billing_seller_bank_name: str = ""
    billing_seller_bank_account: str = ""
    billing_seller_bank_code: str = ""
    billing_seller_correspondent_account: str = ""
    # Rows per transaction of the scans.
    billing_scan_batch_size: int = Field(default=500, ge=1, le=10000)

    @field_validator("billing_dunning_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        try:
            parse_schedule(value)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from exc
        return value

    @property
    def dunning_steps(self) -> tuple[int, ...]:
        return parse_schedule(self.billing_dunning_schedule)

    @property
    def dunning_terms(self) -> Terms:
        """The bootstrap dunning terms: what applies while no policy sets them."""
        return Terms(self.dunning_steps, self.billing_dunning_escalate_from_days)
