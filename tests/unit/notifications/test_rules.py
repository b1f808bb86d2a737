"""Rules: the contract's defaults, strict validation naming each bad item, matching."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.notifications.domain.catalog import EVENT_TYPES
from services.notifications.domain.rules import (
    DEFAULT_RULES,
    RuleError,
    applies,
    audit_id,
    parse_duration,
    rule_changes,
    rule_for,
    rules_of_department,
    validate_rules,
)


def rule(**overrides: Any) -> dict[str, Any]:
    return {
        "event_type": "orbit.interactions.sla.breached.v1",
        "recipients": ["account_manager"],
        "channels": ["in_app", "email"],
        "severity": "critical",
        "escalate_after": "PT4H",
    } | overrides


def errors_of(items: Any) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(RuleError) as caught:
        validate_rules(items)
    return caught.value.errors


def test_defaults_are_valid_and_cover_the_contract_and_the_feed_alerts() -> None:
    assert validate_rules([r.as_dict() for r in DEFAULT_RULES]) == DEFAULT_RULES
    short = {r.event_type.split(".", 2)[2].rsplit(".", 1)[0]: r for r in DEFAULT_RULES}
    for name in (
        "sla.breached",
        "sla.at_risk",
        "meeting.report_overdue",
        "client.contact_overdue",
        "task.overdue",
        "invoice.overdue",
        "contract.expiring",
        "budget.threshold_reached",
        "invoice.promise_broken",
    ):
        assert "account_manager" in short[name].recipients, name
        assert "in_app" in short[name].channels, name
    for name in ("sla.breached", "invoice.overdue"):
        assert short[name].escalate_after is not None
        assert "email" in short[name].channels
    assert short["invoice.payment_reminder_due"].recipients == ("billing_contacts", "head")
    assert short["meeting.report_submitted"].recipients == ("client_contacts",)
    assert short["sla.breached"].severity == "critical"
    assert short["sla.at_risk"].severity == "warning"
    # Every duty reaches a person (issue 19), in-app and by email.
    for name, recipients in {
        "contact.birthday_upcoming": ("account_manager",),
        "client.contact_due_soon": ("account_manager",),
        "task.assigned": ("assignee",),
        "task.due_soon": ("assignee",),
        "task.overdue": ("assignee", "account_manager"),
        "task.deadline_moved": ("account_manager",),
        "task.completed": ("creator",),
        "meeting.reminder": ("participants",),
        "meeting.no_outcome": ("organizer", "account_manager"),
    }.items():
        assert (short[name].recipients, short[name].channels) == (
            recipients,
            ("in_app", "email"),
        ), name


def test_a_person_named_by_a_field_only_for_the_events_carrying_it() -> None:
    assert errors_of([rule(recipients=["assignee", "participants"])]) == [
        (
            (0, "recipients"),
            "orbit.interactions.sla.breached.v1 names no assignee (no assignee_id)",
        ),
        (
            (0, "recipients"),
            "orbit.interactions.sla.breached.v1 names no participants (no staff_ids)",
        ),
    ]
    task = rule(event_type="orbit.interactions.task.completed.v1", escalate_after=None)
    assert validate_rules([task | {"recipients": ["creator", "assignee"]}])
    meeting = task | {"event_type": "orbit.interactions.meeting.cancelled.v1"}
    assert validate_rules([meeting | {"recipients": ["organizer", "participants"]}])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT4H", timedelta(hours=4)),
        ("P1D", timedelta(days=1)),
        ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30)),
        ("PT90S", timedelta(seconds=90)),
        ("P2W", timedelta(weeks=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "4H", "PT4", "P1Y", "P1M", "PT0S", "P1DT", "pt4h", "P400D", "PT-1H"]
)
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_each_bad_item_is_named() -> None:
    errors = dict(
        errors_of(
            [
                rule(),
                rule(event_type="orbit.nope.v1"),
                rule(event_type="orbit.billing.invoice.overdue.v1", recipients=["cfo"]),
                rule(event_type="orbit.billing.contract.expiring.v1", channels=["sms"]),
                rule(event_type="orbit.interactions.task.overdue.v1", escalate_after="4 hours"),
                rule(event_type="orbit.interactions.sla.at_risk.v1", severity="urgent"),
                rule(),  # the same event type twice
                rule(event_type="orbit.interactions.sla.at_risk.v1", extra=1),
            ]
        )
    )
    assert "unknown event type" in errors[(1, "event_type")]
    assert "unknown recipient 'cfo'" in errors[(2, "recipients", 0)]
    assert "unknown channel 'sms'" in errors[(3, "channels", 0)]
    assert "ISO 8601" in errors[(4, "escalate_after")]
    assert "severity" in str(errors[(5, "severity")]) or errors[(5, "severity")]
    assert "second rule" in errors[(6, "event_type")]
    assert errors[(7, "extra")] == "unknown field"
    assert (0, "event_type") not in errors


def test_shapes() -> None:
    assert errors_of({"event_type": "x"}) == [((), "must be a list of rules")]
    assert errors_of(["x"]) == [((0,), "must be an object")]
    missing = dict(errors_of([{"event_type": "orbit.interactions.sla.breached.v1"}]))
    assert missing[(0, "recipients")] == "field required"
    empty = dict(errors_of([rule(channels=[])]))
    assert "non-empty" in empty[(0, "channels")]
    twice = dict(errors_of([rule(channels=["email", "email"])]))
    assert "twice" in twice[(0, "channels", 1)]


def test_contacts_only_by_email_and_only_with_a_client_template() -> None:
    errors = dict(
        errors_of(
            [
                rule(
                    event_type="orbit.billing.invoice.payment_reminder_due.v1",
                    recipients=["billing_contacts"],
                    channels=["in_app"],
                    escalate_after=None,
                ),
                rule(recipients=["client_contacts"], escalate_after=None),
            ]
        )
    )
    assert "email only" in errors[(0, "channels")]
    assert "written for clients" in errors[(1, "recipients")]


def test_escalation_needs_in_app() -> None:
    errors = dict(errors_of([rule(channels=["email"])]))
    assert "in_app" in errors[(0, "escalate_after")]


def test_escalations_have_no_rule_of_their_own() -> None:
    errors = dict(errors_of([rule(event_type="orbit.notifications.alert.escalated.v1")]))
    assert (0, "event_type") in errors


def test_matching() -> None:
    feedback = rule_for(DEFAULT_RULES, "orbit.interactions.feedback.received.v1")
    assert feedback is not None
    assert applies(feedback, {"low": True})
    assert not applies(feedback, {"low": False})
    assert rule_for(DEFAULT_RULES, "orbit.billing.invoice.paid.v1") is None
    breached = rule_for(DEFAULT_RULES, "orbit.interactions.sla.breached.v1")
    assert breached is not None and applies(breached, {})
    assert breached.escalation_delay == timedelta(hours=4)
    assert all(r.event_type in EVENT_TYPES for r in DEFAULT_RULES)


def test_the_catalogue_is_every_published_event_type() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[3] / "docs" / "events"
    published = {p.name.removesuffix(".json") for p in docs.glob("orbit.*.json")}
    assert set(EVENT_TYPES) == published


def test_docs_list_every_default_rule_with_its_channels_and_severity() -> None:
    from pathlib import Path

    api = (Path(__file__).resolve().parents[3] / "docs" / "api.md").read_text()
    rows = {
        line.split("|")[1].strip(" `"): [c.strip() for c in line.split("|")[2:6]]
        for line in api.split("## Alerts: who is told what")[1].split("\n## ")[0].splitlines()
        if line.startswith("| `orbit.")
    }
    assert set(rows) == {r.event_type for r in DEFAULT_RULES}
    for r in DEFAULT_RULES:
        reaches, channels, severity, escalates = rows[r.event_type]
        assert len(reaches.split(", ")) == len(r.recipients), r.event_type
        assert (channels, severity) == (", ".join(r.channels), r.severity), r.event_type
        assert escalates == (r.escalate_after or "\u2014"), r.event_type


def test_a_departments_rules_replace_or_add_to_the_global_ones() -> None:
    breach = rule(recipients=["head"], channels=["in_app"], severity="warning")
    at_risk = rule(event_type="orbit.interactions.sla.at_risk.v1", escalate_after=None)
    own = validate_rules([breach, at_risk | {"department": "north"}], "north")
    assert {r.department for r in own} == {"north"}
    merged = rules_of_department(DEFAULT_RULES, own)
    assert rule_for(merged, "orbit.interactions.sla.breached.v1") == own[0]
    assert rule_for(merged, "orbit.interactions.sla.at_risk.v1") == own[1]
    overdue = "orbit.billing.invoice.overdue.v1"
    assert rule_for(merged, overdue) == rule_for(DEFAULT_RULES, overdue)
    assert len(merged) == len({r.event_type for r in (*DEFAULT_RULES, *own)})
    with pytest.raises(RuleError) as caught:
        validate_rules([rule(department="south")], "north")
    assert [loc for loc, _ in caught.value.errors] == [(0, "department")]
    assert [loc for loc, _ in errors_of([rule(department="north")])] == [(0, "department")]


def test_rule_changes_name_each_event_type_whose_rule_changed() -> None:
    breached, reminder = rule(), rule(event_type="orbit.billing.invoice.overdue.v1")
    before = validate_rules([breached, reminder], "north")
    after = validate_rules(
        [
            rule(severity="warning", department="north"),
            rule(event_type="orbit.billing.contract.expiring.v1"),
        ],
        "north",
    )
    body = {k: v for k, v in breached.items() if k != "event_type"}
    assert rule_changes(before, after) == {
        breached["event_type"]: (body, body | {"severity": "warning"}),
        "orbit.billing.contract.expiring.v1": (None, body),
        reminder["event_type"]: (body, None),
    }
    assert rule_changes(before, before) == {}
    assert rule_changes((), ()) == {}
    assert (audit_id(None), audit_id("north")) == ("global", "department:north")
