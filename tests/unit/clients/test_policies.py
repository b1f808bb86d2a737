"""The pure rules of the policies: the merge (environment, global, department), the fields a
document overrides, the tier ordering, the bounds a head writes within, and the validation
of a settings document (422 naming the field)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.clients.commands import SettingsIn
from services.clients.domain import policies as rules
from services.clients.settings import ClientsSettings

SETTINGS = ClientsSettings()
DEFAULTS = rules.bootstrap(
    SETTINGS.clients_sla_defaults,
    SETTINGS.clients_default_working_hours,
    SETTINGS.clients_birthday_notice_days,
)


def test_a_department_overrides_the_global_document_field_by_field() -> None:
    glob = {"sla_defaults": {"key": {"first_response_minutes": 30}}, "birthday_notice_days": 3}
    north = {"sla_defaults": {"key": {"contact_cadence_days": 2}}, "working_hours": {"mon": []}}
    values = rules.effective(DEFAULTS, glob, north)
    assert values["sla_defaults"]["key"] == {
        "first_response_minutes": 30,
        "contact_cadence_days": 2,
        "meeting_report_hours": 24,
    }
    assert values["sla_defaults"]["small"] == DEFAULTS["sla_defaults"]["small"]
    assert values["working_hours"] == {"mon": []}  # replaced whole, not merged per day
    assert values["birthday_notice_days"] == 3
    assert values["budget_thresholds"] == [80, 100] and values["dunning_schedule"] is None
    assert rules.effective(DEFAULTS, None) == DEFAULTS
    assert rules.overridden(north) == ["sla_defaults", "working_hours"]
    assert rules.overridden(None) == []


def test_changed_fields_are_those_whose_value_in_force_differs() -> None:
    before = rules.effective(DEFAULTS, None)
    after = rules.effective(DEFAULTS, {"budget_thresholds": [80, 100], "low_score": {"nps_max": 5}})
    assert rules.changed_fields(before, after) == ["low_score"]


def test_a_higher_tier_never_gets_looser_targets() -> None:
    loose = rules.effective(DEFAULTS, {"sla_defaults": {"key": {"meeting_report_hours": 50}}})
    ((loc, msg),) = rules.tier_order_problems(loose)
    assert loc == ["sla_defaults", "key", "meeting_report_hours"] and "standard" in msg
    assert rules.tier_order_problems(DEFAULTS) == []


@pytest.mark.parametrize(
    ("document", "bounds", "where"),
    [
        (
            {"budget_thresholds": [50, 100]},
            {"budget_thresholds": {"min": 60}},
            [["budget_thresholds", 0]],
        ),
        ({"budget_thresholds": [70, 100]}, {"budget_thresholds": {"min": 60}}, []),
        (
            {
                "sla_defaults": {
                    "key": {"first_response_minutes": 10},
                    "small": {"first_response_minutes": 9},
                }
            },
            {"sla_defaults.key": {"min": 15, "max": 120}},
            [["sla_defaults", "key", "first_response_minutes"]],
        ),
        (
            {"low_score": {"nps_max": 8}},
            {"low_score.nps_max": {"max": 7}},
            [["low_score", "nps_max"]],
        ),
        ({"at_risk_fraction": 0.5}, {}, []),
    ],
)
def test_bounds_hold_for_every_number_at_or_below_their_path(
    document: dict[str, Any], bounds: dict[str, Any], where: list[list[Any]]
) -> None:
    assert [loc for loc, _ in rules.bound_problems(document, bounds)] == where


def field_of(body: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        SettingsIn.model_validate(body)
    return {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}


def test_a_settings_document_is_validated_naming_the_field() -> None:
    assert field_of({"budget_thresholds": [100, 80]}) == {"budget_thresholds"}
    assert field_of({"dunning_schedule": []}) == {"dunning_schedule"}
    assert field_of({"low_score": {"csat_max": 6}}) == {"low_score.csat_max"}
    assert field_of({"sla_defaults": {"vip": {}}}) == {"sla_defaults.vip.[key]"}
    assert field_of({"sla_defaults": {"key": {"first_response_minutes": "30"}}}) == {
        "sla_defaults.key.first_response_minutes"
    }
    assert field_of({"working_hours": {"mon": ["18:00", "09:00"]}}) == {"working_hours"}
    assert field_of({"report_schedules": {"local_time": "25:00"}}) == {
        "report_schedules.local_time"
    }
    assert field_of({"bounds": {"budget_thresholds": {"min": 5, "max": 1}}}) == {"bounds"}
    assert field_of({"holidays_country": "XX"}) == {"holidays_country"}
    document = SettingsIn.model_validate(
        {"low_score": {"nps_max": 5}, "holidays_country": "de", "at_risk_fraction": None}
    ).document()
    assert document == {"low_score": {"nps_max": 5}, "holidays_country": "DE"}
