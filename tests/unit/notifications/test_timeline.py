"""The timeline's rules (services/notifications/domain/timeline.py): what each event puts on
a client's timeline and in the state of its things, and the summary's arithmetic."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.notifications.domain.timeline import (
    ENTRY_EVENTS,
    Amounts,
    RequestState,
    alert_entry,
    days_since,
    entry_of,
    escalation_entry,
    invoice_balances,
    item_of,
    last_contact,
    next_contact_due,
    parse_types,
    request_deadline,
    sla_state,
)

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
REQUEST = {
    "request_id": str(uuid.uuid4()),
    "subject": "Invoice copy",
    "status": "open",
    "opened_at": AT.isoformat(),
    "due_at": (AT + timedelta(hours=1)).isoformat(),
    "breached": False,
    "promised_by": None,
}


@pytest.mark.parametrize(
    ("event", "state", "expected"),
    [
        ("request.opened", {}, "on_track"),
        ("sla.at_risk", {}, "at_risk"),
        ("request.held", {"status": "on_hold"}, "on_hold"),
        ("request.answered", {"status": "answered"}, "met"),
        ("request.answered", {"status": "acknowledged"}, "met"),
        ("sla.breached", {"status": "breached", "breached": True}, "breached"),
        # answered late: the breach sticks
        ("request.answered", {"status": "answered", "breached": True}, "breached"),
    ],
)
def test_a_request_s_sla_state(event: str, state: dict[str, object], expected: str) -> None:
    request = RequestState.of({**REQUEST, **state})
    assert sla_state(f"orbit.interactions.{event}.v1", request) == expected


def test_a_request_is_one_entry_updated_in_place_an_opportunity_one_per_event() -> None:
    first = entry_of("orbit.interactions.request.opened.v1", REQUEST, AT)
    later = entry_of("orbit.interactions.sla.at_risk.v1", REQUEST, AT + timedelta(minutes=45))
    assert first is not None and later is not None
    assert first.key(uuid.uuid4()) == later.key(uuid.uuid4())  # the same entry
    assert (first.at, later.at) == (AT, AT)  # at its opening
    assert later.details["sla"] == "at_risk" and later.title == "Request: Invoice copy"

    stage = {
        "opportunity_id": str(uuid.uuid4()),
        "title": "Upsell",
        "old_stage": "lead",
        "new_stage": "proposal",
    }
    entry = entry_of("orbit.billing.opportunity.stage_changed.v1", stage, AT)
    assert entry is not None and entry.history
    assert entry.key(uuid.uuid4()) != entry.key(uuid.uuid4())  # one per event
    assert entry.title == "Opportunity Upsell: lead → proposal"


def test_an_amended_report_updates_the_report_s_entry() -> None:
    report = {"interaction_id": str(uuid.uuid4()), "subject": "Review", "summary": "v1"}
    submitted = entry_of(
        "orbit.interactions.meeting.report_submitted.v1", {**report, "submitted_at": AT}, AT
    )
    amended = entry_of(
        "orbit.interactions.meeting.report_amended.v1",
        {**report, "summary": "v2", "revision": 1, "reason": "typo"},
        AT + timedelta(days=1),
    )
    assert submitted is not None and amended is not None
    assert submitted.key(uuid.uuid4()) == amended.key(uuid.uuid4())
    assert (amended.details["summary"], amended.details["revision"]) == ("v2", 1)


def test_every_entry_event_has_an_entry_and_other_events_none() -> None:
    assert entry_of("orbit.clients.client.updated.v1", {}, AT) is None
    assert entry_of("orbit.billing.budget.threshold_reached.v1", {}, AT) is None
    assert len(set(ENTRY_EVENTS)) == len(ENTRY_EVENTS)
    # a field missing: the tolerant subscriber skips the event
    with pytest.raises(ValidationError, match="task_id"):
        entry_of("orbit.interactions.task.assigned.v1", {"title": "x"}, AT)


def test_a_meeting_sits_at_its_start_and_moves() -> None:
    data = {
        "meeting_id": str(uuid.uuid4()),
        "kind": "call",
        "subject": "Kick-off",
        "starts_at": (AT + timedelta(days=2)).isoformat(),
        "ends_at": (AT + timedelta(days=2, hours=1)).isoformat(),
        "status": "planned",
        "contacts": [{"contact_id": str(uuid.uuid4()), "name": "Jane", "email": None}],
        "staff_ids": [],
        "organizer_id": str(uuid.uuid4()),
        "sequence": 2,
        "reason": "moved",
    }
    entry = entry_of("orbit.interactions.meeting.rescheduled.v1", data, AT)
    assert entry is not None and entry.moves and not entry.history
    assert entry.at == AT + timedelta(days=2)
    assert (entry.title, entry.details["reason"], entry.details["contacts"]) == (
        "Call: Kick-off",
        "moved",
        ["Jane"],
    )
    item = item_of("orbit.interactions.meeting.rescheduled.v1", data)
    assert item is not None and item.sequence == 2
    assert item.attendees == (uuid.UUID(data["organizer_id"]),)  # the organiser takes part


def test_the_state_of_things() -> None:
    task = {
        "task_id": str(uuid.uuid4()),
        "title": "Call back",
        "due_at": AT.isoformat(),
        "assignee_id": str(uuid.uuid4()),
        "status": "open",
    }
    done = item_of("orbit.interactions.task.completed.v1", task)
    assert done is not None and done.status == "done" and done.at == AT
    contact = {"contact_id": str(uuid.uuid4()), "name": "Jane", "birthday": "--02-29"}
    kept = item_of("orbit.clients.contact.updated.v1", contact)
    assert kept is not None and kept.birthday == "--02-29" and not kept.gone
    gone = item_of("orbit.clients.contact.deleted.v1", contact)
    assert gone is not None and gone.gone
    no_birthday = item_of("orbit.clients.contact.updated.v1", {**contact, "birthday": None})
    assert no_birthday is not None and no_birthday.gone
    assert item_of("orbit.interactions.interaction.logged.v1", {}) is None
    score = {"feedback_id": str(uuid.uuid4()), "kind": "csat", "score": 2, "received_at": AT}
    taken_back = item_of("orbit.interactions.feedback.withdrawn.v1", score)
    assert taken_back is not None
    assert (taken_back.status, taken_back.title, taken_back.score) == ("withdrawn", "csat", 2)
    entry = entry_of("orbit.interactions.feedback.withdrawn.v1", {**score, "reason": "typo"}, AT)
    assert entry is not None and entry.title == "CSAT 2 (withdrawn)"
    assert entry.details["withdrawn_reason"] == "typo"


def test_one_alert_entry_per_event_with_the_highest_severity() -> None:
    event_id = uuid.uuid4()
    entry = alert_entry(
        event_id, "t", AT, ["SLA breached", "SLA breached"], ["warning", "critical"]
    )
    assert entry is not None and entry.history and entry.entity_id == event_id
    assert entry.details == {"event_type": "t", "severity": "critical", "recipients": 2}
    assert alert_entry(event_id, "t", AT, [], []) is None


def test_an_escalation_is_an_alert_entry_of_its_own() -> None:
    event_id, alert = uuid.uuid4(), uuid.uuid4()
    data = {
        "level": 2,
        "title": "SLA breached",
        "alert_type": "orbit.interactions.sla.breached.v1",
        "severity": "critical",
        "alert_event_id": str(alert),
        "to_staff_id": str(uuid.uuid4()),
    }
    entry = escalation_entry(event_id, data, AT)
    assert (entry.type, entry.entity_id, entry.history) == ("alert", event_id, True)
    assert entry.title == "Escalated (level 2): SLA breached"
    assert entry.details["alert_event_id"] == str(alert)


def test_types_are_parsed_from_lists_and_commas() -> None:
    assert parse_types(["invoice,payment", " task ", ""]) == (["invoice", "payment", "task"], [])
    assert parse_types(["invoice,bogus"]) == (["invoice"], ["bogus"])


def test_the_summary_arithmetic() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    late = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # 10 March 01:00 in Tokyo
    assert days_since(late, date(2026, 3, 12), tokyo) == 2
    assert days_since(late, date(2026, 3, 12), ZoneInfo("UTC")) == 3
    assert days_since(None, date(2026, 3, 12), tokyo) is None
    assert next_contact_due(late, 14) == late + timedelta(days=14)
    assert next_contact_due(late, None) is None and next_contact_due(None, 7) is None
    promise = AT + timedelta(days=1)
    assert request_deadline("acknowledged", AT, promise) == promise
    assert request_deadline("open", AT, None) == AT
    amounts = Amounts()
    today = date(2026, 3, 10)
    amounts.add("EUR", Decimal("100.00"), date(2026, 3, 9), today)
    amounts.add("EUR", Decimal("50.00"), today, today)  # due today: not overdue yet
    amounts.add("JPY", Decimal("1000"), None, today)
    assert amounts.outstanding == {"EUR": Decimal("150.00"), "JPY": Decimal("1000")}
    assert amounts.overdue == {"EUR": Decimal("100.00")}


def test_corrections_mark_their_entries() -> None:
    """A retracted interaction stays, marked; a closed request has no SLA state; a reversed
    payment is marked and reopens its invoices; a credit note shows on its invoice."""
    interaction = {"interaction_id": str(uuid.uuid4()), "type": "email", "direction": "inbound"}
    interaction["client_id"] = str(uuid.uuid4())  # every event the timeline reads names it
    logged = entry_of(
        "orbit.interactions.interaction.logged.v1",
        {**interaction, "occurred_at": AT.isoformat(), "subject": "Hi"},
        AT,
    )
    retracted = entry_of(
        "orbit.interactions.interaction.retracted.v1",
        {**interaction, "occurred_at": AT.isoformat(), "reason": "wrong client"},
        AT + timedelta(days=1),
    )
    assert logged is not None and retracted is not None
    assert logged.key(uuid.uuid4()) == retracted.key(uuid.uuid4())
    assert (retracted.title, retracted.at) == ("Email (inbound) (retracted)", AT)
    assert retracted.details["retract_reason"] == "wrong client"

    closed = {**REQUEST, "status": "closed", "code": "spam", "breached": True}
    entry = entry_of("orbit.interactions.request.closed.v1", closed, AT)
    assert entry is not None and (entry.details["sla"], entry.details["code"]) == ("closed", "spam")
    item = item_of("orbit.interactions.request.closed.v1", closed)
    assert item is not None and item.status == "closed"

    invoice_id = str(uuid.uuid4())
    payment = {"payment_id": str(uuid.uuid4()), "amount": "50.00", "currency": "EUR"}
    reopened = [{"invoice_id": invoice_id, "invoice_number": "INV-1", "amount": "50.00"}]
    reversal = {**payment, "reason": "bounced", "reopened": reopened}
    reversal["reopened"][0] |= {"balance": "50.00", "status": "overdue"}
    entry = entry_of("orbit.billing.payment.reversed.v1", reversal, AT)
    assert entry is not None and entry.title == "Payment 50.00 EUR (reversed)"
    assert (entry.details["invoices"], entry.details["reversal_reason"]) == (["INV-1"], "bounced")
    [(key, status, balance)] = invoice_balances("orbit.billing.payment.reversed.v1", reversal)
    invoice = {"invoice_id": invoice_id, "status": "issued", "currency": "EUR", "balance": "50"}
    invoice["client_id"] = str(uuid.uuid4())  # every invoice event names its client
    shown = item_of("orbit.billing.invoice.issued.v1", invoice)
    assert shown is not None and (key, status, balance) == (shown.key(), "overdue", Decimal(50))
    assert invoice_balances("orbit.billing.payment.received.v1", reversal) == []
    # a payment received: each invoice it paid, partly too, with what it owes now
    allocation = {"invoice_id": invoice_id, "invoice_number": "INV-1", "amount": "20.00"}
    received = {**payment, "allocations": [allocation | {"balance": "30.00", "status": "issued"}]}
    assert invoice_balances("orbit.billing.payment.received.v1", received) == [
        (shown.key(), "issued", Decimal(30))
    ]
    # published before the allocations carried the balance: nothing to tell
    older = {**payment, "allocations": [allocation]}
    assert invoice_balances("orbit.billing.payment.received.v1", older) == []
    assert invoice_balances("orbit.billing.invoice.issued.v1", received) == []

    credited = {**invoice, "credit_note_number": "CN-1", "credit_total": "10.00", "reason": "x"}
    entry = entry_of("orbit.billing.invoice.credited.v1", credited, AT)
    assert entry is not None and entry.details["credit_note"]["credit_note_number"] == "CN-1"


def test_the_last_contact_that_still_counts() -> None:
    contact, retracted = {"is_contact": True}, {"is_contact": True, "retracted": True}
    inbound = {"is_contact": False}
    later = AT + timedelta(hours=1)
    assert last_contact([(AT, contact), (later, retracted)]) == AT
    assert last_contact([(AT, contact), (later, inbound)]) == AT
    assert last_contact([(later, contact), (AT, contact)]) == later
    assert last_contact([(AT, retracted), (later, {})]) is None


def test_details_show_the_fields_as_the_event_carried_them() -> None:
    """Read through the meeting's view, the details carry the producer's JSON unchanged (its
    instants' offsets and fractions too); a field the event left out shows null, not the
    view's default; a field the timeline does not know is ignored."""
    organizer = str(uuid.uuid4())
    sent = {
        "meeting_id": str(uuid.uuid4()),
        "kind": "meeting",
        "subject": "Review",
        "starts_at": "2031-03-12T09:30:00Z",
        "ends_at": "2031-03-12T13:00:00.250000+03:00",
        "status": "planned",
        "organizer_id": organizer,
        "location": None,
        "added_later": {"x": 1},
    }
    entry = entry_of("orbit.interactions.meeting.scheduled.v1", sent, AT)
    assert entry is not None and entry.at == datetime(2031, 3, 12, 9, 30, tzinfo=UTC)
    assert entry.details == {
        "kind": "meeting",
        "status": "planned",
        "starts_at": "2031-03-12T09:30:00Z",
        "ends_at": "2031-03-12T13:00:00.250000+03:00",
        "location": None,
        "sequence": None,  # not sent (the view's default, 0, is the item's)
        "organizer_id": organizer,
        "interaction_id": None,
        "contacts": [],
    }
    item = item_of("orbit.interactions.meeting.scheduled.v1", sent)
    assert item is not None and (item.sequence, item.staff_id) == (0, uuid.UUID(organizer))
    with pytest.raises(ValidationError, match="starts_at"):
        entry_of("orbit.interactions.meeting.scheduled.v1", {**sent, "starts_at": "soon"}, AT)


def test_an_invoice_shows_what_its_event_carries() -> None:
    """``days_overdue`` and the credit note are in the details only when the event carries
    them (a null one too); amounts stay the decimal text they came as."""
    invoice = {
        "invoice_id": str(uuid.uuid4()),
        "client_id": str(uuid.uuid4()),
        "status": "issued",
        "currency": "EUR",
        "balance": "120.50",
        "total": "120.50",
        "due_date": "2031-04-01",
    }
    issued = entry_of("orbit.billing.invoice.issued.v1", invoice, AT)
    assert issued is not None and issued.title == "Invoice"  # a draft has no number yet
    assert "days_overdue" not in issued.details and "credit_note" not in issued.details
    assert (issued.details["balance"], issued.details["issue_date"]) == ("120.50", None)
    overdue = entry_of("orbit.billing.invoice.overdue.v1", {**invoice, "days_overdue": None}, AT)
    assert overdue is not None and overdue.details["days_overdue"] is None
    item = item_of("orbit.billing.invoice.issued.v1", invoice)
    assert item is not None and (item.title, item.on_date) == ("draft", date(2031, 4, 1))


def test_a_payment_s_invoices_read_only_as_far_as_needed() -> None:
    """An allocation without a status (published before they carried one) is passed over,
    its invoice unread; a reopened invoice with a status but no balance fails the event."""
    payment = {"payment_id": str(uuid.uuid4()), "amount": "10.00", "currency": "EUR"}
    older = {**payment, "allocations": [{"amount": "10.00"}]}
    assert invoice_balances("orbit.billing.payment.received.v1", older) == []
    entry = entry_of("orbit.billing.payment.received.v1", older, AT)
    assert entry is not None and entry.details["invoices"] == [None]
    reopened = [{"invoice_id": str(uuid.uuid4()), "status": "issued"}]
    with pytest.raises(KeyError, match="balance"):
        invoice_balances("orbit.billing.payment.reversed.v1", {**payment, "reopened": reopened})
