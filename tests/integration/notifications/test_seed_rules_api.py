"""Seed rules followed from the write that triggers them, through the emitting services' own
APIs and scheduled scans, to the person's feed and inbox: every service in one process
(``orbit run``: SQLite, the in-process bus), a clock the test moves, a real SMTP server. The
manager reads Russian in Tokyo, the specialist English in Berlin, the head English in New
York. (Each seed rule from its event on both databases: ``test_seed_rules.py``.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.embedded import embedded_app
from shared.clock import FixedClock
from tests.integration.notifications.test_seed_rules import in_zone
from tests.support.apps import ADMIN, auth, running, test_settings
from tests.support.net import free_port
from tests.support.smtp import SmtpServer, parts
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


@dataclass
class Staff:
    id: str
    name: str
    email: str
    zone: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.id, self.role)


@dataclass
class Orbit:
    http: httpx.AsyncClient
    clock: FixedClock
    smtp: SmtpServer
    mia: Staff
    ole: Staff
    hanna: Staff
    client: str
    olga: str

    async def post(self, path: str, body: dict[str, Any], who: Staff | None = None) -> Any:
        headers = who.headers if who else ADMIN
        response = await self.http.post(path, headers=headers, json=body)
        assert response.status_code in (200, 201), f"{path}: {response.text}"
        return response.json()

    def at(self, **delta: float) -> str:
        return (self.clock.now() + timedelta(**delta)).isoformat()

    async def reaches(self, who: Staff, event_type: str, title: str) -> tuple[Any, str]:
        """The person's feed entry of ``event_type`` titled ``title...``, and the email
        with that subject, once both arrived."""

        async def entry() -> Any:
            response = await self.http.get("/api/v1/notifications", headers=who.headers)
            items = response.json()["items"] if response.status_code == 200 else []
            found = [n for n in items if n["type"] == event_type and n["title"].startswith(title)]
            return found[0] if found else None

        found = await eventually(entry, timeout=60, what=f"{event_type} in {who.name}'s feed")

        async def mail() -> str:
            for message in self.smtp.inbox.messages:
                if str(message["To"]) == who.email and str(message["Subject"]) == found["title"]:
                    return str(parts(message)["text/plain"])
            return ""

        return found, await eventually(mail, timeout=60, what=f"{who.name}'s email")


@pytest.fixture(scope="module")
async def orbit(tmp_path_factory: Any) -> AsyncIterator[Orbit]:
    smtp = SmtpServer(free_port())
    smtp.start()
    clock = FixedClock(datetime.now(UTC).replace(second=0, microsecond=0))
    data_dir = Path(tmp_path_factory.mktemp("orbit"))
    settings = test_settings(data_dir=str(data_dir), smtp_url=f"smtp://127.0.0.1:{smtp.port}")
    try:
        async with running(embedded_app(settings, clock=clock)) as http:
            yield await populate(http, clock, smtp)
    finally:
        smtp.stop()


async def populate(http: httpx.AsyncClient, clock: FixedClock, smtp: SmtpServer) -> Orbit:
    tag = uuid.uuid4().hex[:6]

    async def staff(name: str, role: str, zone: str, locale: str, **more: Any) -> Staff:
        email = f"{name.lower()}.{tag}@example.com"
        body = {"name": name, "email": email, "role": role, "timezone": zone, "locale": locale}
        response = await http.post("/api/v1/staff", headers=ADMIN, json=body | more)
        assert response.status_code == 201, response.text
        return Staff(response.json()["id"], name, email, zone, role)

    hanna = await staff("Hanna", "head", "America/New_York", "en", department="north")
    mia = await staff("Mia", "manager", "Asia/Tokyo", "ru", department="north", head_id=hanna.id)
    ole = await staff("Ole", "manager", "Europe/Berlin", "en", department="north")
    response = await http.post(
        "/api/v1/clients",
        headers=ADMIN,
        json={"name": "Initech", "account_manager_id": mia.id, "locale": "ru"},
    )
    assert response.status_code == 201, response.text
    client = response.json()["id"]
    birthday = (clock.now() + timedelta(days=3)).date().replace(year=1986)
    response = await http.post(
        f"/api/v1/clients/{client}/contacts",
        headers=ADMIN,
        json={
            "name": "Olga",
            "email": f"olga.{tag}@initech.example",
            "roles": ["billing"],
            "birthday": birthday.isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    return Orbit(http, clock, smtp, mia, ole, hanna, client, response.json()["id"])


async def birthday(orbit: Orbit) -> tuple[Staff, str, str, str | None]:
    # the contact's birthday, entered at the start: the clients' scan announces it
    return orbit.mia, "orbit.clients.contact.birthday_upcoming.v1", "День рождения", None


async def low_feedback(orbit: Orbit) -> tuple[Staff, str, str, str | None]:
    body = {"client_id": orbit.client, "kind": "nps", "score": 2, "contact_id": orbit.olga}
    await orbit.post("/api/v1/feedback", body, orbit.mia)
    return orbit.mia, "orbit.interactions.feedback.received.v1", "Низкая оценка: Initech", None


async def moved_deadline(orbit: Orbit) -> tuple[Staff, str, str, str | None]:
    task = await orbit.post(
        "/api/v1/tasks",
        {
            "client_id": orbit.client,
            "title": "Send the offer",
            "due_at": orbit.at(hours=30),
            "assignee_id": orbit.ole.id,
        },
        orbit.mia,
    )
    due = orbit.at(hours=40, minutes=30)
    response = await orbit.http.patch(
        f"/api/v1/tasks/{task['id']}",
        headers=orbit.ole.headers,
        json={"due_at": due, "reason": "Waiting for the client"},
    )
    assert response.status_code == 200, response.text
    return orbit.mia, "orbit.interactions.task.deadline_moved.v1", "Срок задачи перенесён", due


async def overdue_task(orbit: Orbit) -> tuple[Staff, str, str, str | None]:
    due = orbit.at(minutes=30)
    body = {"client_id": orbit.client, "title": "Call", "due_at": due}
    await orbit.post("/api/v1/tasks", body | {"assignee_id": orbit.ole.id}, orbit.mia)
    orbit.clock.advance(timedelta(hours=1))  # the interactions' scan finds it overdue
    return orbit.ole, "orbit.interactions.task.overdue.v1", "Task overdue: Call", due


async def issue_overdue(orbit: Orbit) -> str:
    """An invoice issued 30 days ago, due 16 days ago (the client's today): its number."""
    lines = [{"description": "Audit", "quantity": "1", "unit_price": "1000.00"}]
    body = {"client_id": orbit.client, "currency": "EUR", "lines": lines}
    invoice = await orbit.post("/api/v1/invoices", body, orbit.mia)
    today = orbit.clock.now().date()
    dates = {
        "issue_date": str(today - timedelta(days=30)),
        "due_date": str(today - timedelta(days=16)),
    }
    issued = await orbit.post(f"/api/v1/invoices/{invoice['id']}/issue", dates, orbit.mia)
    return str(issued["number"])


async def overdue_invoice(orbit: Orbit) -> tuple[Staff, str, str, str | None]:
    number = await issue_overdue(orbit)  # billing's scan finds it overdue
    return orbit.mia, "orbit.billing.invoice.overdue.v1", f"Просрочен счёт {number}", None


async def escalated_reminder(orbit: Orbit) -> tuple[Staff, str, str, str | None]:
    number = await issue_overdue(orbit)  # the 14-day step of the dunning schedule escalates
    title = f"Payment reminder: Initech, invoice {number}"
    return orbit.hanna, "orbit.billing.invoice.payment_reminder_due.v1", title, None


CASES: dict[str, Callable[[Orbit], Awaitable[tuple[Staff, str, str, str | None]]]] = {
    "contact.birthday_upcoming -> the manager": birthday,
    "feedback.received -> the manager": low_feedback,
    "task.deadline_moved -> the manager": moved_deadline,
    "task.overdue -> the assignee": overdue_task,
    "invoice.overdue -> the manager": overdue_invoice,
    "invoice.payment_reminder_due (escalating) -> the head": escalated_reminder,
}


@pytest.mark.parametrize("case", CASES)
async def test_from_the_write_to_the_persons_feed_and_inbox(orbit: Orbit, case: str) -> None:
    who, event_type, title, instant = await CASES[case](orbit)
    entry, text = await orbit.reaches(who, event_type, title)
    greeting = "Здравствуйте, Mia!" if who is orbit.mia else f"Hello {who.name},"
    assert greeting in text
    if instant is not None:
        local = in_zone(instant, who.zone)
        assert local in entry["body"] and local in text
