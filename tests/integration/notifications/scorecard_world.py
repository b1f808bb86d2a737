"""A small world for the scorecard tests: staff, clients, invoices, payments, requests,
feedback, meetings, lapses and opportunities, built with the producing services' own event
models and delivered through the notifications service's consumer (or kept to publish)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.billing.events import (
    BillingMoneyV1,
    InvoiceIssuedV1,
    InvoiceVoidedV1,
    OpportunityStageChangedV1,
    PaymentAllocationV1,
    PaymentReceivedV1,
    PaymentReversedV1,
    ReopenedInvoiceV1,
)
from services.clients.events import (
    CalendarV1,
    ClientCreatedV1,
    ClientStatusChangedV1,
    SlaV1,
    StaffCreatedV1,
)
from services.interactions.events import (
    ContactOverdueV1,
    FeedbackReceivedV1,
    FeedbackWithdrawnV1,
    InteractionLoggedV1,
    MeetingReportSubmittedV1,
    RequestAnsweredV1,
    RequestOpenedV1,
    SlaBreachedV1,
)
from shared.messaging.bus import Message
from shared.messaging.envelope import CloudEvent, Event, topic_for
from shared.runtime import ServiceRuntime

# Wednesday of ISO week 2026-W48 (23-29 November 2026)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
YEAR_AGO = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)  # in 2025-W48
SLA = SlaV1(
    first_response_minutes=60,
    contact_cadence_days=7,
    meeting_report_hours=24,
    calendar=CalendarV1(timezone="UTC", working_hours="24x7", holidays_country=None),
)


@dataclass
class World:
    runtime: ServiceRuntime
    sent: list[tuple[str, CloudEvent]] = field(default_factory=list)
    staff: dict[str, uuid.UUID] = field(default_factory=dict)
    clients: dict[str, uuid.UUID] = field(default_factory=dict)
    managers: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)  # client -> manager

    async def deliver(self, event: Event, at: datetime) -> None:
        envelope = event.to_cloudevent(time=at)
        self.sent.append((event.key(), envelope))
        await self.runtime.consumer.process(
            Message(topic_for(event.service()), event.key(), envelope.to_json())
        )

    async def replay(self) -> None:
        """Every event delivered so far, delivered again (at-least-once)."""
        for key, envelope in list(self.sent):
            topic = "orbit." + envelope.type.split(".")[1]
            await self.runtime.consumer.process(Message(topic, key, envelope.to_json()))

    async def person(
        self,
        name: str,
        role: str,
        department: str | None,
        head: str | None = None,
        locale: str | None = None,
        timezone: str = "UTC",
    ) -> uuid.UUID:
        staff_id = uuid.uuid4()
        self.staff[name] = staff_id
        await self.deliver(
            StaffCreatedV1(
                staff_id=staff_id,
                name=name,
                email=f"{name.lower()}@orbit.example",
                role=role,  # type: ignore[arg-type]
                department=department,
                head_id=self.staff[head] if head else None,
                timezone=timezone,
                locale=locale,
                active=True,
            ),
            NOW - timedelta(days=800),
        )
        return staff_id

    def _client(self, name: str, status: str, created: datetime) -> dict[str, Any]:
        client_id = self.clients[name]
        return {
            "client_id": client_id,
            "name": name,
            "kind": "b2b",
            "tier": "key",
            "status": status,
            "account_manager_id": self.managers[client_id],
            "account_manager_department": None,
            "head_id": None,
            "segment": None,
            "tags": [],
            "country": None,
            "timezone": "UTC",
            "sla": SLA,
            "created_at": created,
            "updated_at": created,
        }

    async def client(
        self, name: str, manager: str, created: datetime, status: str = "active"
    ) -> uuid.UUID:
        client_id = uuid.uuid4()
        self.clients[name] = client_id
        self.managers[client_id] = self.staff[manager]
        await self.deliver(ClientCreatedV1(**self._client(name, status, created)), created)
        return client_id

    async def churn(self, name: str, at: datetime, created: datetime) -> None:
        await self.deliver(
            ClientStatusChangedV1(
                **{**self._client(name, "churned", created), "status_reason": "price"},
                old_status="active",
                new_status="churned",
                reason="price",
            ),
            at,
        )

    def _team(self, client: str) -> dict[str, Any]:
        client_id = self.clients[client]
        return {
            "client_id": client_id,
            "client_name": client,
            "account_manager_id": self.managers[client_id],
            "head_id": None,
        }

    def _iteam(self, client: str) -> dict[str, Any]:
        return {**self._team(client), "account_manager_department": None}

    async def invoice(
        self,
        client: str,
        total: str,
        currency: str,
        issued: date,
        due: date,
        at: datetime,
        paid: str = "0",
    ) -> uuid.UUID:
        invoice_id = uuid.uuid4()
        balance = str(Decimal(total) - Decimal(paid))
        await self.deliver(
            InvoiceIssuedV1(
                **self._team(client),
                invoice_id=invoice_id,
                number=f"INV-{invoice_id.hex[:6]}",
                contract_id=None,
                currency=currency,
                subtotal=total,
                tax="0",
                total=total,
                amount_paid=paid,
                balance=balance,
                issue_date=issued,
                due_date=due,
                status="issued",
            ),
            at,
        )
        return invoice_id

    async def void(
        self, client: str, invoice_id: uuid.UUID, total: str, currency: str, at: datetime
    ) -> None:
        await self.deliver(
            InvoiceVoidedV1(
                **self._team(client),
                invoice_id=invoice_id,
                number="INV-void",
                contract_id=None,
                currency=currency,
                subtotal=total,
                tax="0",
                total=total,
                amount_paid="0",
                balance="0",
                issue_date=at.date(),
                due_date=at.date(),
                status="void",
            ),
            at,
        )

    async def payment(
        self, client: str, amount: str, currency: str, invoice_id: uuid.UUID, at: datetime
    ) -> uuid.UUID:
        payment_id = uuid.uuid4()
        await self.deliver(
            PaymentReceivedV1(
                **self._team(client),
                payment_id=payment_id,
                amount=amount,
                currency=currency,
                received_at=at,
                method="bank_transfer",
                reference=None,
                allocations=[
                    PaymentAllocationV1(invoice_id=invoice_id, invoice_number=None, amount=amount)
                ],
                credit="0",
            ),
            at,
        )
        return payment_id

    async def reverse(
        self, client: str, payment_id: uuid.UUID, received: datetime, reopened: ReopenedInvoiceV1
    ) -> None:
        """The payment bounced an hour after it was received; ``reopened``: its invoice."""
        await self.deliver(
            PaymentReversedV1(
                **self._team(client),
                payment_id=payment_id,
                amount=reopened.amount,
                currency="EUR",
                received_at=received,
                reference=None,
                reason="bounced",
                reversed_by=self.managers[self.clients[client]],
                reopened=[reopened],
                credit_removed="0",
            ),
            received + timedelta(hours=1),
        )

    async def opportunity(self, client: str, stage: str, amount: str, at: datetime) -> None:
        await self.deliver(
            OpportunityStageChangedV1(
                **self._team(client),
                opportunity_id=uuid.uuid4(),
                title="Upsell",
                kind="upsell",
                old_stage=None,
                new_stage=stage,  # type: ignore[arg-type]
                value=BillingMoneyV1(amount=amount, currency="EUR"),
                expected_close=None,
                owner_id=None,
                lost_reason=None,
            ),
            at,
        )

    async def feedback(self, client: str, kind: str, score: int, at: datetime) -> uuid.UUID:
        feedback_id = uuid.uuid4()
        await self.deliver(
            FeedbackReceivedV1(
                **self._iteam(client),
                feedback_id=feedback_id,
                kind=kind,  # type: ignore[arg-type]
                score=score,
                comment=None,
                contact_id=None,
                low=False,
                received_at=at,
                recorded_by=self.managers[self.clients[client]],
            ),
            at,
        )
        return feedback_id

    async def withdraw(self, client: str, feedback_id: uuid.UUID, score: int, at: datetime) -> None:
        """NPS ``score`` entered for the wrong client at ``at``, withdrawn an hour later."""
        await self.deliver(
            FeedbackWithdrawnV1(
                **self._iteam(client),
                feedback_id=feedback_id,
                kind="nps",
                score=score,
                low=True,
                received_at=at,
                withdrawn_at=at + timedelta(hours=1),
                withdrawn_by=self.managers[self.clients[client]],
                reason="the wrong client",
            ),
            at + timedelta(hours=1),
        )

    def _request(
        self, client: str, request_id: uuid.UUID, opened: datetime, **state: Any
    ) -> dict[str, Any]:
        return {
            **self._iteam(client),
            "request_id": request_id,
            "interaction_id": uuid.uuid4(),
            "interaction_type": "email",
            "subject": "Help",
            "contact_ids": [],
            "status": "open",
            "opened_at": opened,
            "due_at": opened + timedelta(hours=1),
            "first_response_minutes": 60,
            "breached": False,
            "answered_at": None,
            "acknowledged_at": None,
            "promised_by": None,
            "resolved_at": None,
            "on_hold_minutes": 0,
            **state,
        }

    async def request(self, client: str, opened: datetime, answer_after: int | None) -> None:
        """A request opened at ``opened``; answered ``answer_after`` minutes later (a breach
        first when that is past the hour), or left unanswered and breached."""
        request_id = uuid.uuid4()
        await self.deliver(
            RequestOpenedV1(
                **self._request(client, request_id, opened),
                at_risk_at=opened + timedelta(minutes=45),
            ),
            opened,
        )
        if answer_after is None or answer_after > 60:
            at = opened + timedelta(hours=1)
            await self.deliver(
                SlaBreachedV1(
                    **self._request(client, request_id, opened, status="breached", breached=True)
                ),
                at,
            )
        if answer_after is not None:
            at = opened + timedelta(minutes=answer_after)
            await self.deliver(
                RequestAnsweredV1(
                    **self._request(
                        client,
                        request_id,
                        opened,
                        status="answered",
                        answered_at=at,
                        breached=answer_after > 60,
                    ),
                    response_interaction_id=uuid.uuid4(),
                    responded_by=self.managers[self.clients[client]],
                    response_minutes=answer_after,
                    first_response=True,
                ),
                at,
            )

    async def meeting(self, client: str, at: datetime, report_on_time: bool) -> None:
        interaction_id = uuid.uuid4()
        manager = self.managers[self.clients[client]]
        await self.deliver(
            InteractionLoggedV1(
                **self._iteam(client),
                interaction_id=interaction_id,
                type="meeting",
                direction="outbound",
                occurred_at=at,
                subject="QBR",
                summary=None,
                contact_ids=[],
                requires_response=False,
                missed=False,
                responds_to=None,
                promise_by=None,
                author_id=manager,
                request_id=None,
                is_contact=True,
            ),
            at,
        )
        await self.deliver(
            MeetingReportSubmittedV1(
                **self._iteam(client),
                interaction_id=interaction_id,
                subject="QBR",
                occurred_at=at,
                author_id=manager,
                contact_ids=[],
                report_due_at=at + timedelta(hours=24),
                contacts=[],
                summary="ok",
                decisions=[],
                next_steps=[],
                submitted_by=manager,
                submitted_at=at + timedelta(hours=2 if report_on_time else 30),
                on_time=report_on_time,
            ),
            at + timedelta(hours=2 if report_on_time else 30),
        )

    async def lapse(self, client: str, due: datetime) -> None:
        await self.deliver(
            ContactOverdueV1(
                **self._iteam(client),
                last_contact_at=due - timedelta(days=7),
                contact_cadence_days=7,
                due_at=due,
                days_overdue=1,
            ),
            due + timedelta(hours=1),
        )


async def build(world: World) -> None:
    """Sales (head Hana: Ann, Bob) and Support (Cid); a week of activity in 2026-W48, some
    in the week before and in 2025-W48."""
    await world.person("Hana", "head", "Sales", locale="ru-RU")
    await world.person("Ann", "manager", "Sales", head="Hana", locale="en")
    await world.person("Bob", "manager", "Sales", head="Hana")
    await world.person("Cid", "manager", "Support")
    mon = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    await world.client("Acme", "Ann", mon)  # new this week
    await world.client("Beta", "Bob", datetime(2026, 11, 2, tzinfo=UTC))
    await world.client("Corp", "Cid", datetime(2025, 1, 2, tzinfo=UTC))
    await world.client("Dyn", "Ann", datetime(2025, 6, 1, tzinfo=UTC), status="prospect")
    await world.churn("Beta", mon + timedelta(days=3), datetime(2026, 11, 2, tzinfo=UTC))

    # Ann: 1000 EUR due before the week (400 paid in it) and 200 USD; a voided one
    eur = await world.invoice("Acme", "1000.00", "EUR", date(2026, 11, 24), date(2026, 11, 20), mon)
    await world.invoice("Acme", "200.00", "USD", date(2026, 11, 24), date(2026, 12, 24), mon)
    voided = await world.invoice(
        "Acme", "999.00", "EUR", date(2026, 11, 24), date(2026, 12, 24), mon
    )
    await world.void("Acme", voided, "999.00", "EUR", mon + timedelta(hours=1))
    await world.payment("Acme", "400.00", "EUR", eur, mon + timedelta(days=2))
    # corrections that leave no trace: a bounced payment, feedback for the wrong client
    at = mon + timedelta(days=1)
    bounced = await world.payment("Acme", "80.00", "EUR", eur, at)
    reopened = {"invoice_number": None, "amount": "80.00", "status": "overdue"}
    await world.reverse(
        "Acme", bounced, at, ReopenedInvoiceV1(invoice_id=eur, balance="1000.00", **reopened)
    )
    wrong = await world.feedback("Acme", "nps", 0, mon)
    await world.withdraw("Acme", wrong, 0, mon)
    # Bob: 300 EUR the same week a year earlier; 150 EUR the week before
    await world.invoice("Beta", "300.00", "EUR", date(2025, 11, 25), date(2025, 12, 25), YEAR_AGO)
    await world.invoice(
        "Beta", "150.00", "EUR", date(2026, 11, 17), date(2026, 12, 17), mon - timedelta(days=6)
    )
    # Cid (Support): 50 EUR
    await world.invoice("Corp", "50.00", "EUR", date(2026, 11, 25), date(2026, 12, 25), mon)

    await world.feedback("Acme", "nps", 10, mon)
    await world.feedback("Acme", "nps", 6, mon)
    await world.feedback("Acme", "csat", 5, mon)
    await world.request("Acme", mon + timedelta(hours=1), 30)  # on time
    await world.request("Acme", mon + timedelta(hours=3), 90)  # breached, then answered
    await world.request("Acme", mon + timedelta(hours=5), 10)  # on time
    await world.request("Acme", mon - timedelta(days=6), 20)  # last week: on time
    await world.meeting("Acme", mon + timedelta(hours=2), report_on_time=True)
    await world.lapse("Dyn", mon + timedelta(days=2))
    await world.opportunity("Acme", "proposal", "5000.00", mon)
