"""What the KPI projection reads of its events (``domain/scorecard/views.py``): the fields a
KPI needs, required and named when missing; the rest tolerated missing, as the projection
read them before its views."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.notifications.domain.scorecard.views import (
    ClientState,
    InvoiceState,
    Meeting,
    OpportunityStage,
    PaymentReceived,
    PaymentReversed,
    RequestClosed,
    RequestState,
)
from shared.event_views import ClientData, InvoiceData

AT = datetime(2031, 3, 4, 10, 30, tzinfo=UTC)
CLIENT = {"client_id": str(uuid.uuid4()), "account_manager_id": str(uuid.uuid4())}


def test_a_client_state_needs_its_status_where_search_does_not() -> None:
    data = {**CLIENT, "name": "Acme", "added_later": 1}
    assert ClientData.of(data).name == "Acme"
    with pytest.raises(ValidationError, match=r"1 validation error.*\n *status"):
        ClientState.of(data)
    client = ClientState.of({**data, "status": "active"})
    assert (client.created_at, client.old_status) == (None, None)
    assert client.account_manager_id == uuid.UUID(CLIENT["account_manager_id"])
    unmanaged = ClientState.of({**data, "status": "active", "account_manager_id": None})
    assert unmanaged.account_manager_id is None


def test_an_invoice_state_needs_its_amounts_and_keeps_their_scale() -> None:
    data = {**CLIENT, "invoice_id": str(uuid.uuid4()), "status": "issued"}
    assert InvoiceData.of(data).total is None  # search reads a draft without amounts
    with pytest.raises(ValidationError, match=r"3 validation errors") as failed:
        InvoiceState.of(data)
    assert {e["loc"][0] for e in failed.value.errors()} == {"currency", "total", "balance"}
    invoice = InvoiceState.of(
        {**data, "currency": "EUR", "total": "1234.50", "balance": "0.00", "due_date": None}
    )
    assert (str(invoice.total), str(invoice.balance)) == ("1234.50", "0.00")
    assert (invoice.issue_date, invoice.due_date) == (None, None)


def test_a_payment_without_allocations_settled_nothing() -> None:
    data = {**CLIENT, "payment_id": str(uuid.uuid4()), "currency": "EUR", "amount": "10.00"}
    payment = PaymentReceived.of({**data, "received_at": AT.isoformat()})
    assert (payment.allocations, payment.received_at) == ([], AT)
    assert PaymentReversed.of({"payment_id": data["payment_id"]}).reopened == []


def test_an_opportunity_without_a_value_has_no_amount() -> None:
    data = {**CLIENT, "opportunity_id": str(uuid.uuid4()), "new_stage": "won"}
    for value in ({}, {"value": None}, {"value": {"currency": "EUR"}}):
        stage = OpportunityStage.of({**data, **value})
        assert stage.amount is None
    priced = OpportunityStage.of({**data, "value": {"amount": "500.10", "currency": "USD"}})
    assert (priced.amount, priced.currency) == (Decimal("500.10"), "USD")


def test_response_minutes_count_only_on_the_first_response() -> None:
    data = {
        **CLIENT,
        "request_id": str(uuid.uuid4()),
        "opened_at": AT.isoformat(),
        "due_at": AT.isoformat(),
        "response_minutes": 42,
    }
    assert RequestState.of(data).first_response_minutes is None
    first = RequestState.of({**data, "first_response": True})
    assert (first.first_response_minutes, first.breached, first.answered_at) == (42, False, None)
    with pytest.raises(ValidationError, match=r"\n *code"):
        RequestClosed.of(data)
    assert RequestClosed.of({**data, "code": "spam"}).code == "spam"


def test_a_meeting_is_held_unless_missed() -> None:
    data = {**CLIENT, "interaction_id": str(uuid.uuid4()), "occurred_at": AT.isoformat()}
    assert Meeting.of({**data, "type": "meeting"}).held
    assert not Meeting.of({**data, "type": "meeting", "missed": True}).held
    assert not Meeting.of({**data, "type": "call"}).held
    assert not Meeting.of(data).on_time  # a report without on_time: not on time
