"""The interactions service's settings and spec: its knobs from the environment, refused
when out of range, and the scans built from them."""

from __future__ import annotations

import pydantic
import pytest

from services import embedded
from services.interactions import app as interactions_app
from services.interactions.settings import ImapTarget, InteractionsSettings, parse_imap_url
from services.interactions.workers import SCANS, ScanJob


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORBIT_INTERACTIONS_SLA_AT_RISK_FRACTION", "0.5")
    monkeypatch.setenv("ORBIT_INTERACTIONS_SCAN_BATCH_SIZE", "50")
    monkeypatch.setenv("ORBIT_INTERACTIONS_TASK_DUE_SOON_HOURS", "48")
    settings = embedded.load_settings("interactions")
    assert isinstance(settings, InteractionsSettings)
    assert (
        settings.interactions_sla_at_risk_fraction == 0.5
        and settings.interactions_scan_batch_size == 50
        and settings.interactions_task_due_soon_hours == 48
        and settings.interactions_contact_due_soon_days == 1
    )
    for bad in ("0", "1", "1.5", "-0.1", "often"):
        variable = "ORBIT_INTERACTIONS_SLA_AT_RISK_FRACTION"
        monkeypatch.setenv(variable, bad)
        with pytest.raises(pydantic.ValidationError, match=variable):
            embedded.load_settings("interactions")


def test_the_scans_are_built_from_the_settings() -> None:
    assert interactions_app.SPEC.settings_cls is InteractionsSettings
    assert interactions_app.SPEC.jobs is not None
    jobs = interactions_app.SPEC.jobs(InteractionsSettings(interactions_scan_batch_size=7))
    assert set(jobs) == set(SCANS)
    assert all(isinstance(j, ScanJob) and j.batch_size == 7 for j in jobs.values())
    # breaches are scanned before at-risk: a request found past due is announced once
    assert list(jobs).index("sla_breached") < list(jobs).index("sla_at_risk")


def test_the_mailbox_is_polled_only_when_one_is_set() -> None:
    assert "email_in" not in interactions_app.SPEC.jobs(InteractionsSettings())
    settings = InteractionsSettings(
        interactions_imap_url="imaps://mail.example", interactions_imap_user="orbit"
    )
    assert "email_in" in interactions_app.SPEC.jobs(settings)
    assert parse_imap_url("imaps://mail.example") == ImapTarget("mail.example", 993, True)
    assert parse_imap_url("imap://127.0.0.1:1143") == ImapTarget("127.0.0.1", 1143, False)
    for bad in ("pop3://mail.example", "mail.example:143", "imap://"):
        with pytest.raises(pydantic.ValidationError, match="imap://host"):
            InteractionsSettings(interactions_imap_url=bad)


def test_the_inbound_email_webhooks_secret_is_long() -> None:
    with pytest.raises(pydantic.ValidationError, match="at least 24 characters"):
        InteractionsSettings(interactions_inbound_email_token="short")
    assert InteractionsSettings().interactions_inbound_email_token is None  # off
