"""Notifications end to end, in both ways of running: an invoice issued in billing with a
past due date becomes overdue; the notifications service, from billing's events alone, puts
the alert in the account manager's feed, emails the manager (a real SMTP server on
loopback), emails the payment reminder to the client's billing contact in her language, and
posts a signed webhook (verified with ``standardwebhooks``); left unacknowledged, the alert
climbs to the manager's head (``escalate_after`` shortened through ``PUT /rules``)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook as Verifier

from tests.integration.notifications.test_email_smtp import SmtpServer, parts
from tests.integration.notifications.test_webhooks import Receiver
from tests.support.apps import auth
from tests.support.dates import overdue_issue
from tests.support.net import free_port
from tests.support.processes import (
    ORBIT,
    base_env,
    four_databases,
    migrate_all,
    process,
    serving,
    wait_healthy,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.e2e
OVERDUE = "orbit.billing.invoice.overdue.v1"


def delivery_env(smtp: SmtpServer) -> dict[str, str]:
    return {
        "ORBIT_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        "ORBIT_NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK": "true",
        "ORBIT_NOTIFICATIONS_DELIVERY_POLL_SECONDS": "0.2",
    }


async def notification_flow(
    clients_url: str, billing_url: str, notifications_url: str, smtp: SmtpServer, rx: Receiver
) -> None:
    admin = auth(uuid.uuid4(), "admin")
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=clients_url, timeout=10) as api:

        async def staff(name: str, role: str, **more: Any) -> dict[str, Any]:
            body = {"name": name, "email": f"{name.lower()}.{tag}@example.com", "role": role}
            response = await api.post("/api/v1/staff", headers=admin, json=body | more)
            assert response.status_code == 201, response.text
            return dict(response.json())

        head = await staff("Hanna", "head", department="north")
        manager = await staff(
            "Mia", "manager", department="north", head_id=head["id"], title="Account manager"
        )
        client = await api.post(
            "/api/v1/clients",
            headers=admin,
            json={"name": "Initech", "account_manager_id": manager["id"], "locale": "ru"},
        )
        assert client.status_code == 201, client.text
        client_id = client.json()["id"]
        contact = await api.post(
            f"/api/v1/clients/{client_id}/contacts",
            headers=admin,
            json={"name": "Olga", "email": f"olga.{tag}@initech.example", "roles": ["billing"]},
        )
        assert contact.status_code == 201, contact.text
    mia = auth(manager["id"], "manager")
    hanna = auth(head["id"], "head")

    async with httpx.AsyncClient(base_url=notifications_url, timeout=10) as api:
        rules = (await api.get("/api/v1/rules", headers=admin)).json()
        for rule in rules:
            if rule["event_type"] == OVERDUE:
                rule["escalate_after"] = "PT3S"
        saved = await api.put("/api/v1/rules", headers=admin, json=rules)
        assert saved.status_code == 200, saved.text
        hook = await api.post(
            "/api/v1/webhooks",
            headers=admin,
            json={"url": f"http://127.0.0.1:{rx.port}/orbit", "event_types": [OVERDUE]},
        )
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]

    async with httpx.AsyncClient(base_url=billing_url, timeout=10) as api:

        async def draft() -> dict[str, Any] | None:
            response = await api.post(
                "/api/v1/invoices",
                headers=mia,
                json={
                    "client_id": client_id,
                    "currency": "EUR",
                    "lines": [
                        {
                            "description": "Audit",
                            "quantity": "1",
                            "unit_price": "1000.00",
                            "tax_rate": "0.19",
                        }
                    ],
                },
            )
            return dict(response.json()) if response.status_code == 201 else None

        invoice = await eventually(draft, timeout=90, what="billing knows the client")
        issued = await api.post(
            f"/api/v1/invoices/{invoice['id']}/issue",
            headers=mia,
            json=overdue_issue(),
        )
        assert issued.status_code == 200, issued.text
        number = issued.json()["number"]

    async with httpx.AsyncClient(base_url=notifications_url, timeout=10) as api:

        async def alert(who: dict[str, str]) -> list[dict[str, Any]]:
            response = await api.get("/api/v1/notifications", headers=who)
            items = response.json()["items"] if response.status_code == 200 else []
            return [n for n in items if n["type"] == OVERDUE]

        [entry] = await eventually(lambda: alert(mia), timeout=90, what="the manager's alert")
        assert entry["severity"] == "critical" and number in entry["title"]

        def mail_to(address: str) -> list[Any]:
            return [m for m in smtp.inbox.messages if str(m["To"]) == address]

        async def manager_mail() -> list[Any]:
            return mail_to(manager["email"])

        [mail] = await eventually(manager_mail, timeout=60, what="the manager's email")
        assert number in str(mail["Subject"]) and "Initech" in str(mail["Subject"])

        async def to_olga() -> list[Any]:
            olga = mail_to(f"olga.{tag}@initech.example")
            return olga if len(olga) >= 2 else []

        # The invoice, then the payment reminder: from the manager, signed by her, the
        # invoice's PDF attached (fetched from billing when sent).
        mails = await eventually(to_olga, timeout=60, what="the invoice and the reminder")
        by_subject = {str(m["Subject"]).split(":")[0]: m for m in mails}
        assert set(by_subject) == {f"Счёт {number}", "Просрочена оплата"}
        for mail in mails:
            assert mail["From"].addresses[0].display_name == "Mia"
            assert mail["Reply-To"] == manager["email"]
            text = parts(mail)
            assert number in str(mail["Subject"]) and "1190.00 EUR" in text["text/plain"]
            assert "Уважаемый(ая) Olga" in text["text/plain"]  # the client's locale: ru
            assert text["text/plain"].endswith("С уважением,\nMia\nAccount manager\n")  # noqa: RUF001
            assert "text/html" in text
            [pdf] = list(mail.iter_attachments())
            assert pdf.get_content_type() == "application/pdf"
            assert pdf.get_filename() == f"invoice-{number}.pdf"
            assert pdf.get_content().startswith(b"%PDF")

        async def webhook() -> list[Any]:
            return [r for r in rx.requests if OVERDUE.encode() in r[2]]

        [(_, headers, body)] = await eventually(webhook, timeout=60, what="the webhook")
        payload = Verifier(secret).verify(body, headers)
        assert payload["data"]["number"] == number

        [escalated] = await eventually(lambda: alert(hanna), timeout=60, what="the escalation")
        assert escalated["title"].startswith("Escalated (level 1)")
        ack = await api.post(f"/api/v1/notifications/{escalated['id']}/ack", headers=hanna)
        assert ack.status_code == 200
        deliveries = await api.get("/api/v1/deliveries", headers=admin)
        assert {d["channel"] for d in deliveries.json()["items"]} == {"email", "webhook"}


async def test_embedded_mode(tmp_path: Path, smtp: SmtpServer, receiver: Receiver) -> None:
    port = free_port()
    env = base_env(ORBIT_DATA_DIR=str(tmp_path / "var"), **delivery_env(smtp))
    log = tmp_path / "orbit-run.log"
    with process([ORBIT, "run", "--port", str(port)], env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, proc, log)
        await notification_flow(url, url, url, smtp, receiver)


async def test_production_mode(
    tmp_path: Path, kafka: str, smtp: SmtpServer, receiver: Receiver
) -> None:
    async with four_databases() as urls:
        env = base_env(
            ORBIT_KAFKA_BOOTSTRAP=kafka,
            **{f"ORBIT_{svc.upper()}_DATABASE_URL": url for svc, url in urls.items()},
            **delivery_env(smtp),
        )
        migrate_all(env)
        services = ("clients", "billing", "notifications")
        async with serving(services, env, tmp_path) as served:
            await notification_flow(
                served["clients"], served["billing"], served["notifications"], smtp, receiver
            )
