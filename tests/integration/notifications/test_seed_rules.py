"""Each default (seed) rule, followed from the event its emitter writes to the person it
reaches: their in-app feed (the API) and their inbox (a real SMTP server, aiosmtpd), in their
language, the instants in their time zone. One world on SQLite and on PostgreSQL: a manager
(Russian, Tokyo), her head (English, New York), a specialist (English, Berlin), a client
with a billing contact (Russian) and a contact without an email address.

The events' data are checked against the emitting service's own event model where it exists
on main, else against the fields agreed for the new interactions events (tasks, cadence,
planned meetings); the emitters' scheduled scans and APIs are tested in their services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.notifications.domain.catalog import CLIENT_EMAIL_UNSENT
from services.notifications.domain.rules import DEFAULT_RULES, rule_for
from services.schemas import event_models
from tests.integration.notifications.helpers import (
    Notif,
    Person,
    invoice_data,
    make_notif,
    sla_breached,
)
from tests.support.net import free_port
from tests.support.servers import fresh_postgres_database
from tests.support.smtp import SmtpServer, parts

pytestmark = pytest.mark.integration

CLIENT_FIELDS: tuple[str, ...] = ("client_id", "client_name", "account_manager_id")
CLIENT_FIELDS += ("account_manager_department", "head_id")
TASK_FIELDS = (*CLIENT_FIELDS, "task_id", "title", "due_at", "assignee_id", "status")
TASK_FIELDS += ("interaction_id", "created_by")
MEETING_FIELDS = (*CLIENT_FIELDS, "meeting_id", "kind", "subject", "agenda", "location")
MEETING_FIELDS += ("starts_at", "ends_at", "status", "contacts", "staff_ids", "organizer_id")
MEETING_FIELDS += ("sequence", "interaction_id")
# The new interactions events (the fields agreed for them; their models come with them).
AGREED: dict[str, tuple[str, ...]] = {
    "task.assigned": (*TASK_FIELDS, "previous_assignee_id", "assigned_by"),
    "task.completed": (*TASK_FIELDS, "completed_at", "completed_by"),
    "task.due_soon": (*TASK_FIELDS, "hours_left"),
    "client.contact_due_soon": (
        *CLIENT_FIELDS,
        "last_contact_at",
        "contact_cadence_days",
        "due_at",
        "days_left",
    ),
    "meeting.reminder": (*MEETING_FIELDS, "lead_minutes"),
    "meeting.no_outcome": (*MEETING_FIELDS, "hours_since_end"),
}


@dataclass
class World:
    notif: Notif
    smtp: SmtpServer
    mia: Person  # the account manager: ru, Asia/Tokyo
    hanna: Person  # her head: en, America/New_York
    ole: Person  # a specialist: en, Europe/Berlin
    client: uuid.UUID
    olga: str  # the billing contact (ru)
    boris: str  # a contact without an email address

    def base(self) -> dict[str, Any]:
        return {
            "client_id": str(self.client),
            "client_name": "Initech",
            "account_manager_id": str(self.mia.id),
            "account_manager_department": "sales",
            "head_id": str(self.hanna.id),
        }

    def at(self, **delta: float) -> str:
        return (self.notif.clock.now() + timedelta(**delta)).isoformat()

    def task(self, **more: Any) -> dict[str, Any]:
        return self.base() | {
            "task_id": str(uuid.uuid4()),
            "title": "Send the offer",
            "due_at": self.at(hours=15, minutes=30),  # past midnight in Tokyo
            "assignee_id": str(self.ole.id),
            "status": "open",
            "interaction_id": None,
            "created_by": str(self.mia.id),
            **more,
        }

    def meeting(self, **more: Any) -> dict[str, Any]:
        return self.base() | {
            "meeting_id": str(uuid.uuid4()),
            "kind": "meeting",
            "subject": "Quarterly review",
            "agenda": None,
            "location": "Room 4",
            "starts_at": self.at(hours=16),
            "ends_at": self.at(hours=17),
            "status": "planned",
            "contacts": [{"contact_id": self.olga, "name": "Olga", "email": "olga@initech.test"}],
            "staff_ids": [str(self.mia.id), str(self.ole.id)],
            "organizer_id": str(self.ole.id),
            "sequence": 0,
            "interaction_id": None,
            **more,
        }

    def request(self, **more: Any) -> dict[str, Any]:
        return sla_breached(self.client, self.mia, self.hanna) | {
            "status": "open",
            "opened_at": self.at(hours=-2),
            "due_at": self.at(hours=15, minutes=30),  # past midnight in Tokyo
            "breached": False,
            **more,
        }

    def minutes(self, contacts: list[dict[str, Any]]) -> dict[str, Any]:
        return self.base() | {
            "interaction_id": str(uuid.uuid4()),
            "subject": "Kick-off",
            "occurred_at": self.at(hours=-3),
            "author_id": str(self.mia.id),
            "contact_ids": [c["contact_id"] for c in contacts],
            "report_due_at": self.at(hours=21),
            "contacts": contacts,
            "summary": "We agreed on the plan.",
            "decisions": ["Go"],
            "next_steps": ["Call"],
            "submitted_by": str(self.mia.id),
            "submitted_at": self.at(),
            "on_time": True,
        }

    def amended(self, contacts: list[dict[str, Any]]) -> dict[str, Any]:
        minutes = self.minutes(contacts)
        for field in ("submitted_by", "submitted_at", "on_time"):
            del minutes[field]
        return minutes | {
            "summary": "We agreed on the revised plan.",
            "amended_by": str(self.mia.id),
            "amended_at": self.at(),
            "reason": "The date of the offer was wrong.",
            "revision": 1,
        }

    def invoice(self) -> dict[str, Any]:
        return invoice_data(self.client, self.mia, self.hanna, account_manager_department="sales")

    def meeting_report(self) -> dict[str, Any]:
        return self.base() | {
            "interaction_id": str(uuid.uuid4()),
            "subject": "Kick-off",
            "occurred_at": self.at(hours=-30),
            "author_id": str(self.mia.id),
            "contact_ids": [],
            "report_due_at": self.at(hours=-6),
            "meeting_report_hours": 24,
        }


def in_zone(instant: str, zone: str) -> str:
    """The wall time and zone a reader in ``zone`` must see (computed here, not by Orbit)."""
    local = datetime.fromisoformat(instant).astimezone(ZoneInfo(zone))
    return f"{local:%H:%M} ({zone})"


@dataclass(frozen=True)
class Seed:
    """A seed rule's case: the event, who it must reach (a staff member's attribute of the
    world, or a contact's address), the title in their language, the instant to read in
    their zone."""

    short: str
    data: Callable[[World], dict[str, Any]]
    reaches: str
    title: str
    instant: str | None = None

    @property
    def type(self) -> str:
        service = "clients" if self.short.startswith("contact.") else "interactions"
        if self.short.split(".")[0] in ("invoice", "contract", "budget"):
            service = "billing"
        return f"orbit.{service}.{self.short}.v1"


SEEDS = [
    Seed(
        "sla.breached", lambda w: w.request(breached=True), "mia", "Нарушен SLA: Initech", "due_at"
    ),
    Seed(
        "sla.at_risk",
        lambda w: w.request(at_risk_at=w.at(), elapsed_fraction=0.8, minutes_left=30),
        "mia",
        "SLA под угрозой: Initech",
        "due_at",
    ),
    Seed(
        "request.promise_broken",
        lambda w: w.request(promised_by=w.at(hours=-1)),
        "mia",
        "Обещание не выполнено: Initech",
        "promised_by",
    ),
    Seed(
        "meeting.report_overdue",
        lambda w: w.meeting_report(),
        "mia",
        "Просрочен отчёт о встрече: Initech",  # noqa: RUF001
        "report_due_at",
    ),
    Seed(
        "client.contact_overdue",
        lambda w: (
            w.base()
            | {
                "last_contact_at": w.at(days=-20),
                "contact_cadence_days": 14,
                "due_at": w.at(days=-6),
                "days_overdue": 6,
            }
        ),
        "mia",
        "Давно нет контакта: Initech",
    ),
    Seed(
        "client.contact_due_soon",
        lambda w: (
            w.base()
            | {
                "last_contact_at": w.at(days=-12),
                "contact_cadence_days": 14,
                "due_at": w.at(days=2, hours=15, minutes=30),
                "days_left": 2,
            }
        ),
        "mia",
        "Скоро пора связаться: Initech",
        "due_at",
    ),
    Seed(
        "task.assigned",
        lambda w: w.task(previous_assignee_id=None, assigned_by=str(w.mia.id)),
        "ole",
        "Task for you: Send the offer",
        "due_at",
    ),
    Seed("task.due_soon", lambda w: w.task(hours_left=4), "ole", "Task due soon: Send the offer"),
    Seed("task.overdue", lambda w: w.task(), "ole", "Task overdue: Send the offer", "due_at"),
    Seed("task.overdue", lambda w: w.task(), "mia", "Просрочена задача: Send the offer", "due_at"),
    Seed(
        "task.deadline_moved",
        lambda w: (
            w.task(
                old_due_at=w.at(hours=2), new_due_at=w.at(hours=15, minutes=30), reason="Waiting"
            )
            | {"moved_by": str(w.ole.id)}
        ),
        "mia",
        "Срок задачи перенесён: Send the offer",
        "new_due_at",
    ),
    Seed(
        "task.completed",
        lambda w: w.task(status="done", completed_at=w.at(), completed_by=str(w.ole.id)),
        "mia",
        "Задача выполнена: Send the offer",
        "completed_at",
    ),
    Seed(
        "meeting.reminder",
        lambda w: w.meeting(lead_minutes=60),
        "mia",
        "Встреча в",
        "starts_at",
    ),
    Seed(
        "meeting.reminder",
        lambda w: w.meeting(lead_minutes=60),
        "ole",
        "Meeting at",
        "starts_at",
    ),
    Seed(
        "meeting.no_outcome",
        lambda w: w.meeting(starts_at=w.at(hours=-5), ends_at=w.at(hours=-4), hours_since_end=4),
        "ole",
        "Meeting without an outcome: Quarterly review",
        "ends_at",
    ),
    Seed(
        "meeting.no_outcome",
        lambda w: w.meeting(starts_at=w.at(hours=-5), ends_at=w.at(hours=-4), hours_since_end=4),
        "mia",
        "Встреча без итога: Quarterly review",
        "ends_at",
    ),
    Seed(
        "feedback.received",
        lambda w: (
            w.base()
            | {
                "feedback_id": str(uuid.uuid4()),
                "kind": "nps",
                "score": 3,
                "comment": "Slow",
                "contact_id": w.olga,
                "low": True,
                "received_at": w.at(),
                "recorded_by": str(w.mia.id),
            }
        ),
        "mia",
        "Низкая оценка: Initech",
    ),
    Seed(
        "meeting.report_submitted",
        lambda w: w.minutes([{"contact_id": w.olga, "name": "Olga", "email": "olga@initech.test"}]),
        "olga@initech.test",
        "Итоги нашей встречи: Kick-off",
    ),
    Seed(
        "meeting.report_amended",
        lambda w: w.amended([{"contact_id": w.olga, "name": "Olga", "email": "olga@initech.test"}]),
        "olga@initech.test",
        "Исправленные итоги нашей встречи: Kick-off",
    ),
    Seed(
        "contact.birthday_upcoming",
        lambda w: {
            "contact_id": w.olga,
            "client_id": str(w.client),
            "client_name": "Initech",
            "account_manager_id": str(w.mia.id),
            "name": "Olga",
            "email": "olga@initech.test",
            "roles": ["billing"],
            "birthday": (w.notif.clock.now() + timedelta(days=7)).date().isoformat(),
            "days_ahead": 7,
            "age": 40,
            "account_manager_department": "sales",
            "head_id": str(w.hanna.id),
        },
        "mia",
        "День рождения",
    ),
    Seed(
        "invoice.overdue",
        lambda w: w.invoice() | {"days_overdue": 22, "step": 14},
        "mia",
        "Просрочен счёт 2026-000042: Initech, 1234.50 EUR",
    ),
    Seed(
        "invoice.payment_reminder_due",
        lambda w: w.invoice() | {"days_overdue": 7, "step": 7, "escalate": False},
        "olga@initech.test",
        "Просрочена оплата: счёт 2026-000042",
    ),
    Seed(
        "invoice.payment_reminder_due",
        lambda w: w.invoice() | {"days_overdue": 14, "step": 14, "escalate": True},
        "hanna",
        "Payment reminder: Initech, invoice 2026-000042, 1234.50 EUR",
    ),
    Seed(
        "invoice.issued",
        lambda w: w.invoice() | {"status": "issued"},
        "olga@initech.test",
        "Счёт 2026-000042: 1500.00 EUR",
    ),
    Seed(
        "invoice.promise_broken",
        lambda w: (
            w.invoice()
            | {"promised_on": "2026-11-20", "promise_note": None, "days_overdue": 22, "step": None}
        ),
        "mia",
        "Обещание оплаты нарушено: Initech, счёт 2026-000042",
    ),
    Seed(
        "contract.expiring",
        lambda w: (
            w.base()
            | {
                "contract_id": str(uuid.uuid4()),
                "number": "C-7",
                "title": "Support",
                "starts_on": "2026-01-01",
                "ends_on": "2026-12-31",
                "auto_renew": False,
                "renewal_notice_days": 30,
                "payment_terms_days": 14,
                "value": {"amount": "1000.00", "currency": "EUR"},
                "budget": None,
                "status": "active",
                "days_left": 38,
            }
        ),
        "mia",
        "Истекает договор C-7: Initech",
    ),
    Seed(
        "budget.threshold_reached",
        lambda w: (
            w.base()
            | {
                "contract_id": str(uuid.uuid4()),
                "contract_number": "C-7",
                "threshold": 80,
                "budget": "1000.00",
                "invoiced": "800.00",
                "currency": "EUR",
            }
        ),
        "mia",
        "Бюджет израсходован на 80%: Initech",
    ),
]


def test_every_seed_rule_has_a_case() -> None:
    assert {s.type for s in SEEDS} == {r.event_type for r in DEFAULT_RULES}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def world(request: pytest.FixtureRequest, tmp_path_factory: Any) -> AsyncIterator[World]:
    smtp = SmtpServer(free_port())
    smtp.start()
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('seeds')) / 'n.db'}"
    try:
        if request.param == "sqlite":
            async for notif in make_notif(url, smtp_url=f"smtp://127.0.0.1:{smtp.port}"):
                yield await populate(notif, smtp)
        else:
            async with fresh_postgres_database() as pg:
                async for notif in make_notif(pg, smtp_url=f"smtp://127.0.0.1:{smtp.port}"):
                    yield await populate(notif, smtp)
    finally:
        smtp.stop()


async def populate(notif: Notif, smtp: SmtpServer) -> World:
    hanna = await notif.staff("Hanna", "head", locale="en", timezone="America/New_York")
    mia = await notif.staff("Mia", head=hanna, locale="ru", timezone="Asia/Tokyo")
    ole = await notif.staff("Ole", locale="en-GB", timezone="Europe/Berlin")
    olga, boris = str(uuid.uuid4()), str(uuid.uuid4())
    contacts: list[dict[str, Any]] = [
        {"id": olga, "name": "Olga", "email": "olga@initech.test", "locale": "ru"},
        {"id": boris, "name": "Boris", "email": None, "roles": ["technical"]},
    ]
    client = await notif.client("Initech", mia, contacts=contacts, locale="ru")
    return World(notif, smtp, mia, hanna, ole, client, olga, boris)


def shaped(event_type: str, short: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as its emitter writes it: valid for its event model, or exactly the agreed
    fields of a new event."""
    model = event_models().get(event_type)
    if model is not None:
        model.model_validate(data)
    else:
        assert sorted(data) == sorted(AGREED[short]), short
    return data


GREETING = {"mia": "Здравствуйте, Mia!", "hanna": "Hello Hanna,", "ole": "Hello Ole,"}
ZONE = {"mia": "Asia/Tokyo", "hanna": "America/New_York", "ole": "Europe/Berlin"}


async def inbox(world: World, event_id: uuid.UUID, address: str) -> list[Any]:
    """The emails the event sent to ``address`` (a round of the email worker first)."""
    await world.notif.workers()["email"].run_once()
    sent = {
        str(d.id)
        for d in await world.notif.deliveries(event_id=event_id, address=address, status="sent")
    }
    return [m for m in world.smtp.inbox.messages if m["Message-ID"].strip("<>")[:36] in sent]


async def feed(world: World, person: Person, event_id: uuid.UUID) -> list[dict[str, Any]]:
    return [n for n in await world.notif.feed(person) if n["event_id"] == str(event_id)]


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: f"{s.short}->{s.reaches}")
async def test_a_seed_rule_reaches_its_person(world: World, seed: Seed) -> None:
    data = shaped(seed.type, seed.short, seed.data(world))
    event = await world.notif.deliver(seed.type, data)
    person: Person | None = getattr(world, seed.reaches, None)
    mails = await inbox(world, event.id, person.email if person else seed.reaches)
    texts = [parts(m)["text/plain"] for m in mails]
    if person is None:  # a client contact: an email only, in their language
        [mail] = mails
        assert str(mail["Subject"]).startswith(seed.title) and "Уважаемый(ая) Olga" in texts[0]
        assert data.get("reason", "") in texts[0]  # an amendment says why
        return
    [entry] = await feed(world, person, event.id)
    assert entry["type"] == seed.type and entry["title"].startswith(seed.title)
    rule = rule_for(DEFAULT_RULES, seed.type)
    assert rule is not None
    if "email" in rule.channels:
        [mail] = mails
        assert str(mail["Subject"]) == entry["title"] and GREETING[seed.reaches] in texts[0]
        # asked to acknowledge only when the alert climbs unacknowledged
        asked = "Acknowledge it" in texts[0] or "Подтвердите уведомление" in texts[0]
        assert asked == (rule.escalate_after is not None)
    else:
        assert mails == []  # the rule's channel is the feed only
    if seed.instant:
        local = in_zone(data[seed.instant], ZONE[seed.reaches])
        assert all(local in text for text in [entry["body"], *texts])


async def test_nobody_is_told_of_their_own_action(world: World) -> None:
    own = world.task(previous_assignee_id=None, assigned_by=str(world.ole.id))
    event = await world.notif.deliver("orbit.interactions.task.assigned.v1", own)
    assert await feed(world, world.ole, event.id) == []
    assert await world.notif.deliveries(event_id=event.id) == []


@pytest.mark.parametrize(
    ("case", "title", "fix"),
    [
        ("no billing contact", "Напоминание об оплате не отправлено: Initech", "нет контакта"),  # noqa: RUF001
        ("no participant", "Протокол встречи не отправлен: Kick-off", "не указаны"),
        ("no email", "Протокол встречи не отправлен: Kick-off", "Boris"),
    ],
)
async def test_a_client_email_that_cannot_go_tells_the_manager_once(
    world: World, case: str, title: str, fix: str
) -> None:
    if case == "no billing contact":
        event_type = "orbit.billing.invoice.payment_reminder_due.v1"
        data = world.invoice() | {"days_overdue": 7, "step": 7, "escalate": False}
        data["billing_contacts"] = []
        events = [(event_type, data)] * 2
    else:
        event_type = "orbit.interactions.meeting.report_submitted.v1"
        boris = {"contact_id": world.boris, "name": "Boris", "email": None}
        data = world.minutes([boris] if case == "no email" else [])
        amended = world.amended([boris] if case == "no email" else [])
        amended["interaction_id"] = data["interaction_id"]
        events = [(event_type, data), ("orbit.interactions.meeting.report_amended.v1", amended)]
    for kind, body in events:  # the same cause again (a later step, an amendment): one notice
        await world.notif.deliver(kind, shaped(kind, "", body))
    notices = [
        n
        for n in await world.notif.feed(world.mia)
        if n["type"] == CLIENT_EMAIL_UNSENT and fix in n["body"]
    ]
    assert [n["title"] for n in notices] == [title]
    [mail] = await inbox(world, uuid.UUID(notices[0]["event_id"]), world.mia.email)
    assert str(mail["Subject"]) == title and fix in parts(mail)["text/plain"]
