"""A client's month for the timeline, summary and calendar tests: the producing services'
own event models (interactions, billing, clients) and, for the planned meetings and the new
task events, the fields their events carry (docs/events), delivered through the notifications
service's consumer with the clock at each event's time. Every date derives from ``NOW``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from services.billing.events import (
    BillingMoneyV1,
    ContractCreatedV1,
    InvoiceIssuedV1,
    InvoiceOverdueV1,
    OpportunityStageChangedV1,
    PaymentReceivedV1,
)
from services.clients.events import ContactCreatedV1, ContactUpdatedV1
from services.interactions.events import (
    FeedbackReceivedV1,
    InteractionLoggedV1,
    RequestAnsweredV1,
    RequestOpenedV1,
    SlaAtRiskV1,
)
from shared.messaging.envelope import CloudEvent, Event
from tests.integration.notifications.helpers import NOW, Notif, Person

DAY = timedelta(days=1)


@dataclass
class Month:
    notif: Notif
    manager: Person
    client_id: uuid.UUID
    sent: list[CloudEvent] = field(default_factory=list)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def team(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_name": "Initech",
            "account_manager_id": self.manager.id,
            "account_manager_department": "sales",
            "head_id": None,
        }

    async def at(self, when: datetime, event: Event | tuple[str, dict[str, Any]]) -> None:
        self.notif.clock.set(when)
        if isinstance(event, Event):
            event_type, data = event.TYPE, event.model_dump(mode="json")
        else:
            event_type, data = event
        self.sent.append(await self.notif.deliver(event_type, data))

    async def replay(self) -> None:
        """Every event again (at-least-once: new deliveries of the same events)."""
        for envelope in self.sent:
            await self.notif.deliver(envelope.type, envelope.data, event_id=envelope.id)


def request(m: Month, **state: Any) -> dict[str, Any]:
    return {
        **m.team(),
        "request_id": m.ids["request"],
        "interaction_id": m.ids["inbound"],
        "interaction_type": "email",
        "subject": "Where is my report?",
        "contact_ids": [],
        "status": "open",
        "opened_at": NOW - 10 * DAY,
        "due_at": NOW - 10 * DAY + timedelta(hours=1),
        "first_response_minutes": 60,
        "breached": False,
        "answered_at": None,
        "acknowledged_at": None,
        "promised_by": None,
        "resolved_at": None,
        "on_hold_minutes": 0,
        **state,
    }


def meeting(
    m: Month, event: str, starts: datetime, sequence: int, **more: Any
) -> tuple[str, dict[str, Any]]:
    data = {
        **{k: str(v) if isinstance(v, uuid.UUID) else v for k, v in m.team().items()},
        "meeting_id": str(m.ids["meeting"]),
        "kind": "meeting",
        "subject": "Quarterly review",
        "agenda": "Numbers, plans",
        "location": "Berlin office",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "status": "planned",
        "contacts": [{"contact_id": str(uuid.uuid4()), "name": "Jane Roe", "email": None}],
        "staff_ids": [str(m.manager.id)],
        "organizer_id": str(m.manager.id),
        "sequence": sequence,
        "interaction_id": None,
        **more,
    }
    return f"orbit.interactions.meeting.{event}.v1", data


def task(m: Month, event: str, **more: Any) -> tuple[str, dict[str, Any]]:
    data = {
        **{k: str(v) if isinstance(v, uuid.UUID) else v for k, v in m.team().items()},
        "task_id": str(m.ids["task"]),
        "title": "Send the offer",
        "due_at": (NOW + 3 * DAY).isoformat(),
        "assignee_id": str(m.manager.id),
        "status": "open",
        "interaction_id": None,
        "created_by": str(m.manager.id),
        **more,
    }
    return f"orbit.interactions.task.{event}.v1", data


def invoice(m: Month, cls: type[Any], due: date, **more: Any) -> Any:
    return cls(
        **m.team(),
        invoice_id=m.ids["invoice"],
        number="2026-000042",
        contract_id=None,
        currency="EUR",
        subtotal="1000.00",
        tax="0.00",
        total="1000.00",
        amount_paid="0.00",
        balance="1000.00",
        issue_date=due - 14 * DAY,
        due_date=due,
        status="issued",
        **more,
    )


async def live(notif: Notif, manager: Person, client_id: uuid.UUID) -> Month:
    """A month of the client Initech, ``NOW`` at its end; its events as sent, their ids."""
    m = Month(notif, manager, client_id)
    for name in ("inbound", "outbound", "request", "meeting", "task", "invoice", "contract"):
        m.ids[name] = uuid.uuid4()
    m.ids["opportunity"], m.ids["contact"] = uuid.uuid4(), uuid.uuid4()
    opened = NOW - 10 * DAY
    await m.at(
        opened,
        InteractionLoggedV1(
            **m.team(),
            interaction_id=m.ids["inbound"],
            type="email",
            direction="inbound",
            occurred_at=opened,
            subject="Where is my report?",
            summary=None,
            contact_ids=[],
            requires_response=True,
            missed=False,
            responds_to=None,
            promise_by=None,
            author_id=manager.id,
            request_id=m.ids["request"],
            is_contact=False,
        ),
    )
    await m.at(opened, RequestOpenedV1(**request(m), at_risk_at=opened + timedelta(minutes=45)))
    at_risk = opened + timedelta(minutes=45)
    await m.at(
        at_risk,
        SlaAtRiskV1(**request(m), at_risk_at=at_risk, elapsed_fraction=0.75, minutes_left=15),
    )
    answered = opened + timedelta(minutes=50)
    await m.at(
        answered,
        InteractionLoggedV1(
            **m.team(),
            interaction_id=m.ids["outbound"],
            type="email",
            direction="outbound",
            occurred_at=answered,
            subject="Re: Where is my report?",
            summary="Tomorrow",
            contact_ids=[],
            requires_response=False,
            missed=False,
            responds_to=m.ids["inbound"],
            promise_by=NOW + 2 * DAY,
            author_id=manager.id,
            request_id=None,
            is_contact=True,
        ),
    )
    await m.at(
        answered,
        RequestAnsweredV1(
            **request(
                m,
                status="acknowledged",
                acknowledged_at=answered,
                answered_at=answered,
                promised_by=NOW + 2 * DAY,
            ),
            response_interaction_id=m.ids["outbound"],
            responded_by=manager.id,
            response_minutes=50,
            first_response=True,
        ),
    )
    await m.at(
        NOW - 8 * DAY,
        ContractCreatedV1(
            **m.team(),
            contract_id=m.ids["contract"],
            number="C-7",
            title="Support",
            starts_on=(NOW - 8 * DAY).date(),
            ends_on=(NOW + 200 * DAY).date(),
            auto_renew=False,
            renewal_notice_days=30,
            payment_terms_days=14,
            value=BillingMoneyV1(amount="12000.00", currency="EUR"),
            budget=None,
            status="active",
        ),
    )
    due = (NOW - 2 * DAY).date()
    await m.at(NOW - 16 * DAY + 9 * DAY, invoice(m, InvoiceIssuedV1, due))
    await m.at(
        NOW - DAY,
        invoice(m, InvoiceOverdueV1, due, days_overdue=1, step=None).model_copy(
            update={"status": "overdue"}
        ),
    )
    await m.at(
        NOW - 6 * DAY,
        PaymentReceivedV1(
            **m.team(),
            payment_id=uuid.uuid4(),
            amount="250.00",
            currency="USD",
            received_at=NOW - 6 * DAY,
            method="bank_transfer",
            reference="wire",
            allocations=[],
            credit="250.00",
        ),
    )
    for step, (old, new) in enumerate([(None, "lead"), ("lead", "proposal")]):
        await m.at(
            NOW - (5 - step) * DAY,
            OpportunityStageChangedV1(
                **m.team(),
                opportunity_id=m.ids["opportunity"],
                title="Upsell",
                kind="upsell",
                old_stage=old,
                new_stage=new,
                value=None,
                expected_close=None,
                owner_id=manager.id,
                lost_reason=None,
            ),
        )
    await m.at(
        NOW - 3 * DAY,
        FeedbackReceivedV1(
            **m.team(),
            feedback_id=uuid.uuid4(),
            kind="nps",
            score=3,
            comment="Slow",
            contact_id=None,
            low=True,
            received_at=NOW - 3 * DAY,
            recorded_by=manager.id,
        ),
    )
    starts = NOW + 5 * DAY
    await m.at(NOW - 2 * DAY, meeting(m, "scheduled", starts, 0))
    await m.at(
        NOW - 2 * DAY + timedelta(hours=1),
        meeting(
            m,
            "rescheduled",
            starts + DAY,
            1,
            previous_starts_at=starts.isoformat(),
            previous_ends_at=(starts + timedelta(hours=1)).isoformat(),
            reason="Client asked",
        ),
    )
    await m.at(
        NOW - DAY, task(m, "assigned", previous_assignee_id=None, assigned_by=str(manager.id))
    )
    contact = {
        "contact_id": m.ids["contact"],
        "client_id": client_id,
        "account_manager_id": manager.id,
        "name": "Jane Roe",
        "email": None,
        "phone": None,
        "position": "CFO",
        "roles": ["billing"],
        "birthday": None,
        "preferred_channel": None,
    }
    await m.at(NOW - DAY, ContactCreatedV1(**contact))
    await m.at(NOW - DAY, ContactUpdatedV1(**{**contact, "birthday": "--02-29"}))
    notif.clock.set(NOW)
    return m
