"""Notification rules: which event types notify whom, how, how urgently, and when an
unacknowledged alert climbs to the head. Pure: validation, defaults and matching."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.notifications.domain.catalog import (
    CHANNELS,
    ESCALATED,
    EVENT_TYPES,
    PERSON_FIELDS,
    RECIPIENTS,
    SEVERITIES,
    Channel,
    Recipient,
    Severity,
)

Loc = tuple[str | int, ...]

# PnW, or PnDTnHnMnS with at least one part; no years or months (their length varies).
_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W|(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?)"
)
MAX_ESCALATE_AFTER = timedelta(days=365)


class RuleError(ValueError):
    """A rule list that is not valid: ``errors`` are ``(loc, msg)`` naming each item."""

    def __init__(self, errors: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in errors))
        self.errors = errors


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (``PT4H``, ``P1DT2H``,
    ``P2W``) as a timedelta; ``ValueError`` for anything else, zero, or over a year."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration such as PT4H or P1D: {text!r}")
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    if not parts:
        raise ValueError(f"not an ISO 8601 duration such as PT4H or P1D: {text!r}")
    duration = timedelta(**parts)
    if duration <= timedelta(0):
        raise ValueError("must be longer than zero")
    if duration > MAX_ESCALATE_AFTER:
        raise ValueError("must be at most a year (P365D)")
    return duration


@dataclass(frozen=True)
class Rule:
    event_type: str
    recipients: tuple[Recipient, ...]
    channels: tuple[Channel, ...]
    severity: Severity
    escalate_after: str | None = None
    department: str | None = None  # a department's rule (its clients' events); None: global

    @property
    def escalation_delay(self) -> timedelta | None:
        return parse_duration(self.escalate_after) if self.escalate_after else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "recipients": list(self.recipients),
            "channels": list(self.channels),
            "severity": self.severity,
            "escalate_after": self.escalate_after,
            "department": self.department,
        }


def _rule(
    short: str,
    recipients: tuple[Recipient, ...],
    channels: tuple[Channel, ...],
    severity: Severity,
    escalate_after: str | None = None,
) -> Rule:
    return Rule(f"orbit.{short}.v1", recipients, channels, severity, escalate_after)


MANAGER: tuple[Recipient, ...] = ("account_manager",)
IN_APP: tuple[Channel, ...] = ("in_app",)
IN_APP_EMAIL: tuple[Channel, ...] = ("in_app", "email")

# The contract's defaults: SLA breach, unpaid overdue invoice, missing meeting report, contact
# overdue, expiring contract and low feedback score notify the account manager in-app and by
# email; SLA breaches and overdue invoices escalate; payment reminders are emailed to the
# client's billing contacts (and, from the escalating step of the dunning schedule, copy the
# head); a submitted meeting report is emailed to the meeting's client participants, and
# again, as corrected minutes, when it is amended. The
# other alerts of interactions and billing reach the manager's feed. Every duty reaches a
# person: a contact's birthday and a lapse of the cadence about to come reach the manager; a
# task reaches its assignee when given, before its deadline and after it (and the manager),
# its creator when done, the manager when its deadline moves; a planned meeting reminds its
# staff participants, and one left without an outcome reaches its organizer and the manager.
# Nobody is told of their own action (:data:`ACTORS`).
DEFAULT_RULES: tuple[Rule, ...] = (
    _rule("interactions.sla.breached", MANAGER, IN_APP_EMAIL, "critical", "PT4H"),
    _rule("interactions.sla.at_risk", MANAGER, IN_APP, "warning"),
    _rule("interactions.request.promise_broken", MANAGER, IN_APP_EMAIL, "warning"),
    _rule("interactions.meeting.report_overdue", MANAGER, IN_APP_EMAIL, "warning"),
    _rule("interactions.client.contact_overdue", MANAGER, IN_APP_EMAIL, "warning"),
    _rule("interactions.client.contact_due_soon", MANAGER, IN_APP_EMAIL, "warning"),
    _rule("interactions.task.assigned", ("assignee",), IN_APP_EMAIL, "info"),
    _rule("interactions.task.due_soon", ("assignee",), IN_APP_EMAIL, "warning"),
    _rule("interactions.task.overdue", ("assignee", "account_manager"), IN_APP_EMAIL, "warning"),
    _rule("interactions.task.deadline_moved", MANAGER, IN_APP_EMAIL, "info"),
    _rule("interactions.task.completed", ("creator",), IN_APP_EMAIL, "info"),
    _rule("interactions.meeting.reminder", ("participants",), IN_APP_EMAIL, "info"),
    _rule(
        "interactions.meeting.no_outcome", ("organizer", "account_manager"), IN_APP_EMAIL, "warning"
    ),
    _rule("interactions.feedback.received", MANAGER, IN_APP_EMAIL, "warning"),
    _rule("interactions.meeting.report_submitted", ("client_contacts",), ("email",), "info"),
    _rule("interactions.meeting.report_amended", ("client_contacts",), ("email",), "info"),
    _rule("clients.contact.birthday_upcoming", MANAGER, IN_APP_EMAIL, "info"),
    _rule("billing.invoice.overdue", MANAGER, IN_APP_EMAIL, "critical", "P1D"),
    _rule(
        "billing.invoice.payment_reminder_due",
        ("billing_contacts", "head"),
        IN_APP_EMAIL,
        "warning",
    ),
    _rule("billing.invoice.issued", ("billing_contacts",), ("email",), "info"),
    _rule("billing.invoice.promise_broken", MANAGER, IN_APP_EMAIL, "warning"),
    _rule("billing.contract.expiring", MANAGER, IN_APP_EMAIL, "warning"),
    _rule("billing.budget.threshold_reached", MANAGER, IN_APP, "warning"),
)

# Who did what the event tells (the field naming them): they are not told of it.
ACTORS: tuple[str, ...] = ("assigned_by", "completed_by", "moved_by")

# Recipients reached only when a field of the event is true: the head hears of a payment
# reminder from the escalating step of the dunning schedule (``escalate``).
ONLY_WHEN: dict[tuple[str, Recipient], str] = {
    ("orbit.billing.invoice.payment_reminder_due.v1", "head"): "escalate",
}


def reaches(rule: Rule, recipient: Recipient, data: Mapping[str, Any]) -> bool:
    """Whether ``recipient`` of ``rule`` is reached by this event (see :data:`ONLY_WHEN`)."""
    flag = ONLY_WHEN.get((rule.event_type, recipient))
    return flag is None or data.get(flag) is True


# The contacts of a client are no staff: they are reached by email only, with an email
# written for clients, which exists for these event types.
CONTACT_RECIPIENTS: frozenset[str] = frozenset({"billing_contacts", "client_contacts"})
CLIENT_TEMPLATES: dict[str, str] = {
    "orbit.billing.invoice.payment_reminder_due.v1": "payment_reminder",
    "orbit.billing.invoice.issued.v1": "invoice_issued",
    "orbit.interactions.meeting.report_submitted.v1": "meeting_minutes",
    "orbit.interactions.meeting.report_amended.v1": "meeting_minutes",
}


def applies(rule: Rule, data: Mapping[str, Any]) -> bool:
    """Whether an event matching ``rule``'s type is worth a notification: feedback only when
    its score is low (NPS <= 6, CSAT <= 2); everything else always."""
    if rule.event_type == "orbit.interactions.feedback.received.v1":
        return bool(data.get("low"))
    return True


def validate_rules(items: Sequence[Any], department: str | None = None) -> tuple[Rule, ...]:
    """The rules of a ``PUT /rules`` body (a list of objects) for ``department`` (None: the
    global rules), or :class:`RuleError` naming every bad item: unknown event type, recipient
    or channel, bad severity, bad ISO 8601 duration, an event type twice, missing or unknown
    fields, a ``department`` other than the one the rules are saved for."""
    errors: list[tuple[Loc, str]] = []
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    if not isinstance(items, list | tuple):
        raise RuleError([((), "must be a list of rules")])
    fields = {"event_type", "recipients", "channels", "severity", "escalate_after", "department"}
    for index, item in enumerate(items):
        at: Loc = (index,)
        if not isinstance(item, Mapping):
            errors.append((at, "must be an object"))
            continue
        before = len(errors)
        errors += [((*at, k), "unknown field") for k in item if k not in fields]
        if item.get("department") not in (None, department):
            errors.append(
                (
                    (*at, "department"),
                    f"must be {department!r} (the department the rules are saved for)"
                    if department
                    else "must be null: these are the global rules (?department= for one's)",
                )
            )
        errors += [
            ((*at, k), "field required")
            for k in ("event_type", "recipients", "channels", "severity")
            if k not in item
        ]
        event_type = item.get("event_type")
        if "event_type" in item:
            if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
                errors.append(((*at, "event_type"), f"unknown event type: {event_type!r}"))
            elif event_type == ESCALATED:
                errors.append(
                    ((*at, "event_type"), "escalations follow the rule of the escalated alert")
                )
            elif event_type in seen:
                errors.append(
                    (
                        (*at, "event_type"),
                        f"a second rule for {event_type} (first: #{seen[event_type]})",
                    )
                )
            else:
                seen[event_type] = index
        recipients = _members(item, "recipients", RECIPIENTS, "recipient", at, errors)
        channels = _members(item, "channels", CHANNELS, "channel", at, errors)
        severity = item.get("severity")
        if "severity" in item and severity not in SEVERITIES:
            errors.append(((*at, "severity"), f"must be one of {', '.join(SEVERITIES)}"))
        escalate_after = item.get("escalate_after")
        if escalate_after is not None:
            try:
                parse_duration(escalate_after)
            except ValueError as exc:
                errors.append(((*at, "escalate_after"), str(exc)))
            if "in_app" not in channels:
                errors.append(
                    (
                        (*at, "escalate_after"),
                        "escalation needs the in_app channel (an alert to acknowledge)",
                    )
                )
        if (
            set(recipients) & CONTACT_RECIPIENTS
            and isinstance(event_type, str)
            and event_type not in CLIENT_TEMPLATES
        ):
            errors.append(
                (
                    (*at, "recipients"),
                    "the client's contacts get emails written for clients, which exist for "
                    + ", ".join(CLIENT_TEMPLATES)
                    + " only",
                )
            )
        if isinstance(event_type, str) and event_type in EVENT_TYPES:
            errors += [
                ((*at, "recipients"), f"{event_type} names no {recipient} (no {field})")
                for recipient, (field, types) in PERSON_FIELDS.items()
                if recipient in recipients and event_type not in types
            ]
        if (
            recipients
            and channels
            and set(recipients) <= CONTACT_RECIPIENTS
            and set(channels) - {"email", "webhook"}
        ):
            errors.append(((*at, "channels"), "the client's contacts are reached by email only"))
        if len(errors) == before:
            rules.append(
                Rule(
                    event_type=str(event_type),
                    recipients=tuple(recipients),  # type: ignore[arg-type]
                    channels=tuple(channels),  # type: ignore[arg-type]
                    severity=severity,  # type: ignore[arg-type]
                    escalate_after=escalate_after,
                    department=department,
                )
            )
    if errors:
        raise RuleError(errors)
    return tuple(rules)


def rules_of_department(
    global_rules: Sequence[Rule], department_rules: Sequence[Rule]
) -> tuple[Rule, ...]:
    """The rules in force for a department's clients: its own rules, and the global rule of
    every event type it sets none for (a department's rule replaces the global one of its
    event type, or adds one)."""
    own = {rule.event_type for rule in department_rules}
    return (*department_rules, *(rule for rule in global_rules if rule.event_type not in own))


def _members(
    item: Mapping[str, Any],
    field: str,
    allowed: tuple[str, ...],
    what: str,
    at: Loc,
    errors: list[tuple[Loc, str]],
) -> list[str]:
    value = item.get(field)
    if field not in item:
        return []
    if not isinstance(value, list) or not value:
        errors.append(((*at, field), f"must be a non-empty list of {what}s"))
        return []
    out: list[str] = []
    for position, member in enumerate(value):
        if member not in allowed:
            errors.append(
                ((*at, field, position), f"unknown {what} {member!r}: one of {', '.join(allowed)}")
            )
        elif member in out:
            errors.append(((*at, field, position), f"{what} {member!r} twice"))
        else:
            out.append(member)
    return out


def rule_for(rules: Sequence[Rule], event_type: str) -> Rule | None:
    return next((r for r in rules if r.event_type == event_type), None)


RuleBook = Mapping[str | None, tuple[Rule, ...]]  # the global rules (None), each department's


def rules_for(book: RuleBook, department: str | None) -> tuple[Rule, ...]:
    """The rules in force for the events of ``department``'s clients (the global ones for
    None or a department without rules of its own)."""
    own = book.get(department) if department else None
    return book[None] if own is None else rules_of_department(book[None], own)


# The audit trail of a scope's rules (``GET /api/v1/rules/audit``): the entity and its id.
AUDIT_ENTITY = "rules"


def audit_id(department: str | None) -> str:
    """The trail's id of a scope: ``global`` or ``department:<name>`` (as the settings')."""
    return f"department:{department}" if department else "global"


def rule_changes(
    before: Sequence[Rule], after: Sequence[Rule]
) -> dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """What replacing a scope's rules ``before`` with ``after`` changed, one entry per event
    type (``{event_type: (old, new)}``, the rule without its event type and department; None:
    no rule), in the order of ``after`` then the removed ones; an unchanged rule is none."""

    def body(rule: Rule) -> dict[str, Any]:
        values = rule.as_dict()
        del values["event_type"], values["department"]
        return values

    old = {r.event_type: body(r) for r in before}
    new = {r.event_type: body(r) for r in after}
    order = [*new, *(t for t in old if t not in new)]
    return {t: (old.get(t), new.get(t)) for t in order if old.get(t) != new.get(t)}
