"""The notifications service's settings and the SMTP URL they point at."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from services.notifications.app import SPEC
from services.notifications.settings import NotificationsSettings, parse_smtp_url
from services.notifications.workers import scheduled_jobs
from tests.support.apps import test_settings


def test_defaults_refuse_private_destinations() -> None:
    settings = NotificationsSettings(env="test")
    assert settings.notifications_webhook_allow_loopback is False
    assert settings.allowed_networks == ()
    assert settings.notifications_stream_heartbeat_seconds == 15
    assert set(scheduled_jobs(settings)) == {"escalations", "scorecard_reports", "greetings"}


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS", "10.20.0.0/16, fd00:1::/32")
    monkeypatch.setenv("ORBIT_NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("ORBIT_SMTP_FROM", "Orbit <noreply@orbit.example>")
    settings = SPEC.load_settings(test_settings())
    assert isinstance(settings, NotificationsSettings)
    assert settings.allowed_networks == (
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("fd00:1::/32"),
    )
    assert settings.notifications_webhook_allow_loopback is True
    assert settings.smtp_from == "Orbit <noreply@orbit.example>"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/33"),
        ("ORBIT_NOTIFICATIONS_WEBHOOK_ALLOWED_NETWORKS", "not-a-network"),
        ("ORBIT_NOTIFICATIONS_DELIVERY_BATCH_SIZE", "0"),
        ("ORBIT_NOTIFICATIONS_STREAM_POLL_SECONDS", "0"),
        ("ORBIT_NOTIFICATIONS_DELIVERY_CLAIM_SECONDS", "1"),
        ("ORBIT_SMTP_URL", "http://mail.example.com"),
    ],
)
def test_bad_values_refuse_to_start(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="(?i)" + name.removeprefix("ORBIT_")):
        SPEC.load_settings(test_settings())


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (plain.hostname, plain.port, plain.use_tls, plain.start_tls) == (
        "127.0.0.1",
        2525,
        False,
        None,
    )
    tls = parse_smtp_url("smtps://user%40corp:p%3Ass@mail.example.com")
    assert (tls.port, tls.use_tls, tls.username, tls.password) == (465, True, "user@corp", "p:ss")
    assert parse_smtp_url("smtp://mail.example.com?starttls=true").start_tls is True
    assert parse_smtp_url("smtp://mail.example.com").port == 25
    for bad in ("http://mail.example.com", "smtp://", "mail.example.com:25"):
        with pytest.raises(ValueError):
            parse_smtp_url(bad)
