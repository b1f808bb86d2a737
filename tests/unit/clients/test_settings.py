"""The clients service's settings: refused when they make no sense, with a clear message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.clients.settings import ClientsSettings

DEFAULTS: dict[str, dict[str, int]] = {
    "key": {"first_response_minutes": 60, "contact_cadence_days": 3, "meeting_report_hours": 24},
    "standard": {
        "first_response_minutes": 240,
        "contact_cadence_days": 7,
        "meeting_report_hours": 48,
    },
    "small": {
        "first_response_minutes": 480,
        "contact_cadence_days": 14,
        "meeting_report_hours": 72,
    },
}


def with_target(tier: str, name: str, value: Any) -> dict[str, dict[str, Any]]:
    changed = json.loads(json.dumps(DEFAULTS))
    changed[tier][name] = value
    return changed


def test_the_defaults_are_ordered_from_key_to_small() -> None:
    assert ClientsSettings().clients_sla_defaults == DEFAULTS
    equal = {tier: dict(DEFAULTS["standard"]) for tier in DEFAULTS}
    assert ClientsSettings(clients_sla_defaults=equal).clients_sla_defaults == equal


@pytest.mark.parametrize(
    "name", ["first_response_minutes", "contact_cadence_days", "meeting_report_hours"]
)
@pytest.mark.parametrize(
    ("tier", "value", "looser", "than"),
    [
        ("key", "standard", "key", "standard"),  # key looser than standard
        ("standard", "small", "standard", "small"),  # standard looser than small
    ],
)
def test_a_higher_tier_looser_than_a_lower_one_is_refused(
    name: str, tier: str, value: str, looser: str, than: str
) -> None:
    bad = with_target(tier, name, DEFAULTS[value][name] + 1)
    with pytest.raises(ValidationError) as raised:
        ClientsSettings(clients_sla_defaults=bad)
    message = str(raised.value)
    assert "clients_sla_defaults" in message and "key <= standard <= small" in message
    assert f"{looser}.{name} ({DEFAULTS[value][name] + 1}) is looser than {than}.{name}" in (
        message
    )


def test_defaults_from_the_environment_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = with_target("key", "contact_cadence_days", 30)
    monkeypatch.setenv("ORBIT_CLIENTS_SLA_DEFAULTS", json.dumps(bad))
    with pytest.raises(ValidationError) as raised:
        ClientsSettings()
    assert "key.contact_cadence_days (30) is looser than standard.contact_cadence_days (7)" in (
        str(raised.value)
    )


@pytest.mark.parametrize("value", [0, -5, True, "60", 1.5, None])
def test_targets_are_whole_numbers_from_one(value: Any) -> None:
    with pytest.raises(ValidationError):
        ClientsSettings(clients_sla_defaults=with_target("key", "first_response_minutes", value))


def test_every_tier_needs_its_targets() -> None:
    missing = {k: v for k, v in DEFAULTS.items() if k != "small"}
    with pytest.raises(ValidationError, match="no SLA defaults for the small tier"):
        ClientsSettings(clients_sla_defaults=missing)
