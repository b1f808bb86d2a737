"""A client's SLA: tier defaults, overridden field by field; overrides patched like RFC 7386."""

from __future__ import annotations

from services.clients.domain.sla import effective_sla, merge_overrides
from services.clients.settings import ClientsSettings

SETTINGS = ClientsSettings(env="test", jwt_secret="x" * 40)


def sla(tier: str, overrides: dict | None, tz: str = "Europe/Berlin", country: str | None = "DE"):
    return effective_sla(
        tier,
        overrides,
        tier_defaults=SETTINGS.clients_sla_defaults,
        client_timezone=tz,
        client_country=country,
        default_working_hours=SETTINGS.clients_default_working_hours,
    )


def test_defaults_per_tier_key_clients_tightest() -> None:
    key, standard, small = sla("key", None), sla("standard", None), sla("small", {})
    for name in ("first_response_minutes", "contact_cadence_days", "meeting_report_hours"):
        assert key[name] < standard[name] < small[name]
    assert key["first_response_minutes"] == 60
    assert key["calendar"] == {
        "timezone": "Europe/Berlin",
        "working_hours": {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays_country": "DE",
    }


def test_overrides_merge_field_by_field() -> None:
    merged = sla("standard", {"first_response_minutes": 30, "calendar": {"working_hours": "24x7"}})
    assert merged["first_response_minutes"] == 30
    assert merged["contact_cadence_days"] == 7  # the standard tier's default
    assert merged["calendar"] == {
        "timezone": "Europe/Berlin",
        "working_hours": "24x7",
        "holidays_country": "DE",
    }


def test_calendar_follows_the_client_unless_overridden() -> None:
    assert sla("small", None, tz="America/New_York", country="US")["calendar"]["timezone"] == (
        "America/New_York"
    )
    merged = sla(
        "small", {"calendar": {"timezone": "Asia/Tokyo", "holidays_country": None}}, country="US"
    )
    assert merged["calendar"]["timezone"] == "Asia/Tokyo"
    # an explicit null country in the overrides means "no public holidays"
    assert merged["calendar"]["holidays_country"] is None


def test_merge_overrides_patch_semantics() -> None:
    current = {
        "first_response_minutes": 30,
        "calendar": {"timezone": "Asia/Tokyo", "working_hours": {"mon": ["08:00", "12:00"]}},
    }
    patched = merge_overrides(
        current,
        {"contact_cadence_days": 5, "calendar": {"working_hours": {"tue": ["10:00", "11:00"]}}},
    )
    assert patched == {
        "first_response_minutes": 30,
        "contact_cadence_days": 5,
        # working_hours is replaced as a whole, the rest of the calendar kept
        "calendar": {"timezone": "Asia/Tokyo", "working_hours": {"tue": ["10:00", "11:00"]}},
    }
    assert current["calendar"]["working_hours"] == {"mon": ["08:00", "12:00"]}  # not mutated
    # null removes an override (back to the default); an emptied calendar disappears
    assert merge_overrides(
        patched,
        {"first_response_minutes": None, "calendar": {"timezone": None, "working_hours": None}},
    ) == {"contact_cadence_days": 5}
    assert merge_overrides(patched, None) == {}
    assert merge_overrides(None, {"meeting_report_hours": 12}) == {"meeting_report_hours": 12}


def test_settings_refuse_incomplete_or_unusable_defaults() -> None:
    import pytest
    from pydantic import ValidationError

    base = {"env": "test", "jwt_secret": "x" * 40}
    with pytest.raises(ValidationError, match="small tier"):
        ClientsSettings(
            **base,
            clients_sla_defaults={
                "key": SETTINGS.clients_sla_defaults["key"],
                "standard": SETTINGS.clients_sla_defaults["standard"],
            },
        )
    broken = {t: dict(v) for t, v in SETTINGS.clients_sla_defaults.items()}
    broken["key"]["first_response_minutes"] = 0
    with pytest.raises(ValidationError, match=r"key\.first_response_minutes"):
        ClientsSettings(**base, clients_sla_defaults=broken)
    with pytest.raises(ValidationError, match=r"working_hours\.mon"):
        ClientsSettings(**base, clients_default_working_hours={"mon": ["18:00", "09:00"]})
