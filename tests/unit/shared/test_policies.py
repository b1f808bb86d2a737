"""shared.policies: the field-by-field overlay every service reads a department's policy
with, and one value of it with its fallback."""

from __future__ import annotations

from shared.policies import overlay, policy_value

DOCUMENTS = {
    "": {"budget_thresholds": [50, 100], "low_score": {"nps_max": 5, "csat_max": 2}},
    "north": {"low_score": {"csat_max": 1}, "working_hours": {"mon": ["08:00", "12:00"]}},
}


def test_overlay_merges_mappings_and_replaces_lists_and_atomic_fields() -> None:
    base = {"a": {"x": 1, "y": 2}, "l": [1, 2], "working_hours": {"mon": [], "tue": []}}
    top = {"a": {"y": 3}, "l": [3], "working_hours": {"wed": []}, "n": None}
    assert overlay(base, top) == {"a": {"x": 1, "y": 3}, "l": [3], "working_hours": {"wed": []}}
    assert overlay(None, None) == {}


def test_policy_value_reads_the_department_over_the_global_then_the_fallback() -> None:
    assert policy_value(DOCUMENTS, "north", "low_score.csat_max", 2) == 1
    assert policy_value(DOCUMENTS, "north", "low_score.nps_max", 6) == 5
    assert policy_value(DOCUMENTS, "south", "budget_thresholds", [80]) == [50, 100]
    assert policy_value(DOCUMENTS, None, "scorecard_deviation_points", 5) == 5
    assert policy_value({}, "north", "budget_thresholds", (80, 100)) == (80, 100)
