"""The billing settings from the environment and the jobs built from them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.billing.app import SPEC
from services.billing.settings import BillingSettings
from services.billing.workers import ContractScanJob, PaymentControlJob, scheduled_jobs
from tests.support.apps import test_settings


def test_dunning_schedule_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORBIT_BILLING_DUNNING_SCHEDULE", "30, -5,7")
    monkeypatch.setenv("ORBIT_BILLING_DUNNING_ESCALATE_FROM_DAYS", "7")
    settings = SPEC.load_settings(test_settings())
    assert isinstance(settings, BillingSettings)
    assert settings.dunning_steps == (-5, 7, 30)
    jobs = scheduled_jobs(settings)
    assert isinstance(jobs["contracts"], ContractScanJob)
    control = jobs["payment_control"]
    assert isinstance(control, PaymentControlJob)
    assert (control.control.schedule, control.control.escalate_from) == ((-5, 7, 30), 7)


def test_defaults() -> None:
    settings = BillingSettings()
    assert settings.dunning_steps == (-3, 1, 7, 14, 30)
    assert settings.billing_dunning_escalate_from_days == 14


@pytest.mark.parametrize("schedule", ["", "soon", "1,,x", "400"])
def test_a_bad_schedule_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, schedule: str
) -> None:
    monkeypatch.setenv("ORBIT_BILLING_DUNNING_SCHEDULE", schedule)
    with pytest.raises(ValidationError, match="ORBIT_BILLING_DUNNING_SCHEDULE"):
        BillingSettings()
