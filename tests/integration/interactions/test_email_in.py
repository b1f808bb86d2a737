"""Email in against a real IMAP server (deploy/local's dovecot): messages delivered to a
mailbox of the test's own over LMTP, read by the interactions worker's poll (workers.py:
MailboxPoll), on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import delete, select

from services.interactions.app import create_app
from services.interactions.domain.mail import MAILBOX_AUTHOR
from services.interactions.mailbox import MailboxError
from services.interactions.settings import InteractionsSettings
from services.interactions.store.models import InboundEmail, MailboxState
from services.interactions.workers import MailboxPoll
from shared.clock import FixedClock
from shared.mailrefs import message_id
from tests.integration.interactions.helpers import ADMIN, NOW, Api, ClientRef
from tests.support.apps import auth, running, runtime_of, test_settings
from tests.support.servers import MailServer, mail_server

MINUTES_5 = timedelta(minutes=5)


@pytest.fixture
def server() -> MailServer:
    return mail_server()


def contact_email(client: ClientRef, index: int = 0) -> str:
    """The address the helpers give a client's contact (helpers.py: Api.client)."""
    return f"c{index}.{uuid.UUID(client.contacts[index]).hex[:6]}@client.example"


class Mailbox:
    """A mailbox of the test's own on the server, and the poll reading it."""

    def __init__(self, server: MailServer, api: Api) -> None:
        self.server, self.api = server, api
        self.user = f"t{uuid.uuid4().hex[:12]}"
        self.settings = InteractionsSettings(
            interactions_imap_url=server.imap_url,
            interactions_imap_user=self.user,
            interactions_imap_password=server.password,
            interactions_imap_poll_seconds=60,
        )
        self.poll = MailboxPoll(self.settings)

    def deliver(
        self,
        sender: str,
        subject: str,
        body: str,
        ago: timedelta = MINUTES_5,
        attachment: tuple[str, bytes] | None = None,
        **headers: str,
    ) -> str:
        """Deliver a message sent ``ago`` over LMTP (as a mail server does); its Message-ID."""
        message = EmailMessage()
        message["From"] = sender
        message["To"] = f"{self.user}@localhost"
        message["Subject"] = subject
        message["Date"] = format_datetime(self.api.clock.now() - ago)
        message["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example>"
        for name, value in headers.items():
            message[name.replace("_", "-")] = value
        message.set_content(body)
        if attachment:
            name, content = attachment
            message.add_attachment(content, "application", "pdf", filename=name)
        with smtplib.LMTP(self.server.lmtp_host, self.server.lmtp_port) as lmtp:
            assert lmtp.send_message(message) == {}
        return str(message["Message-ID"])

    async def run(self) -> int:
        """One poll a poll interval after the last (the job skips an earlier round)."""
        self.api.advance(seconds=61)
        return await self.poll(self.api.runtime.uow, self.api.clock.now())

    async def taken_in(self) -> dict[str, InboundEmail]:
        async with self.api.runtime.sessions() as session:
            rows = await session.scalars(select(InboundEmail))
            return {row.message_id: row for row in rows}


async def emails_of(api: Api, client: ClientRef) -> list[dict[str, Any]]:
    response = await api.http.get(
        "/api/v1/interactions", headers=ADMIN, params={"client_id": client.id, "type": "email"}
    )
    assert response.status_code == 200, response.text
    return [i for i in response.json()["items"] if i["direction"] == "inbound"]


async def test_mail_becomes_interactions_each_once(any_api: Api, server: MailServer) -> None:
    api = any_api
    manager = await api.staff("Mia")
    acme = await api.client("Acme", manager)
    globex = await api.client("Globex", manager)
    box = Mailbox(server, api)
    orbit_mail = message_id(uuid.uuid4(), "orbit.example", globex.id)  # a reminder Orbit sent

    asked = box.deliver(contact_email(acme), "Broken export", "The export fails since Monday.")
    replied = box.deliver(
        "Finance <finance@globex.example>",  # not a contact: the thread says whose it is
        "Re: Payment reminder",
        "Paid yesterday, see attached.",
        attachment=("payment.pdf", b"%PDF-1.7 " + b"x" * 1000),
        In_Reply_To=orbit_mail,
        References=orbit_mail,
    )
    stranger = box.deliver("someone@elsewhere.example", "Hello", "Do you sell widgets?")
    away = box.deliver(
        contact_email(acme, 1), "Out of office", "Back on Monday.", Auto_Submitted="auto-replied"
    )

    assert await box.run() == 2
    assert await box.run() == 0  # read again: nothing new
    taken = await box.taken_in()
    assert {m: taken[m].outcome for m in (asked, replied, stranger, away)} == {
        asked: "logged",
        replied: "logged",
        stranger: "unmatched",
        away: "ignored",
    }
    assert taken[replied].in_reply_to == orbit_mail and taken[replied].reference_ids == [orbit_mail]
    listed = await api.http.get(
        "/api/v1/integrations/emails", headers=ADMIN, params={"outcome": "unmatched"}
    )
    assert [(m["message_id"], m["sender"], m["client_id"]) for m in listed.json()["items"]] == [
        (stranger, "someone@elsewhere.example", None)
    ]
    everything = await api.http.get("/api/v1/integrations/emails", headers=ADMIN)
    listed_by_id = {m["message_id"]: m for m in everything.json()["items"]}
    assert listed_by_id.keys() == {asked, replied, stranger, away}
    assert listed_by_id[replied]["references"] == [orbit_mail]
    # No files service here (test_email_attachments.py keeps them): the attachment waits
    assert listed_by_id[replied]["attachments"] == [
        {
            "filename": "payment.pdf",
            "content_type": "application/pdf",
            "size": 1009,
            "status": "pending",
            "file_id": None,
            "detail": None,
        }
    ]
    # A manager: the mail of their clients and the unmatched mail (no owner yet: to assign
    # it); the ignored mail is in no client's scope (the admins')
    mia = auth(manager.id, "manager")
    hers = await api.http.get("/api/v1/integrations/emails", headers=mia)
    assert hers.status_code == 200, hers.text
    assert {m["message_id"] for m in hers.json()["items"]} == {asked, replied, stranger}
    tom = auth((await api.staff("Tom")).id, "manager")
    his = await api.http.get("/api/v1/integrations/emails", headers=tom)
    assert [m["message_id"] for m in his.json()["items"]] == [stranger]

    [new] = await emails_of(api, acme)
    assert (new["subject"], new["direction"], new["summary"]) == (
        "Broken export",
        "inbound",
        "The export fails since Monday.",
    )
    assert new["contact_ids"] == [acme.contacts[0]] and new["author_id"] == str(MAILBOX_AUTHOR)
    [reply] = await emails_of(api, globex)
    assert (reply["subject"], reply["contact_ids"]) == ("Re: Payment reminder", [])
    opened = await api.events("request.opened")
    assert sorted(e["client_id"] for e in opened) == sorted([acme.id, globex.id])
    request = await api.request(ADMIN, new["request_id"])
    assert request["status"] == "open"

    # The client writes again in the thread: logged on Acme, its request still the one
    follow_up = box.deliver(
        contact_email(acme), "Re: Broken export", "Any news?", In_Reply_To=asked, References=asked
    )
    assert await box.run() == 1
    assert len(await emails_of(api, acme)) == 2
    assert len(await api.events("request.opened")) == 2
    assert (await box.taken_in())[follow_up].client_id == uuid.UUID(acme.id)

    # The manager answers: the request the email opened is answered
    await api.log(
        mia,
        acme,
        type="email",
        direction="outbound",
        responds_to=new["id"],
        subject="Re: Broken export",
    )
    assert (await api.request(ADMIN, new["request_id"]))["status"] == "answered"
    sla = (await api.http.get("/api/v1/reports/sla", headers=mia)).json()
    assert (sla["requests"], sla["answered"], sla["answered_on_time"], sla["open"]) == (2, 1, 1, 1)

    # The read state lost (or the folder renumbered): the Message-IDs keep each message once
    async with api.runtime.uow() as uow:
        await uow.session.execute(delete(MailboxState))
        await uow.commit()
    assert await box.run() == 0
    assert len(await box.taken_in()) == 5
    assert len(await emails_of(api, acme)) == 2


EMAILS = "/api/v1/integrations/emails"


async def test_unmatched_mail_is_assigned_as_a_call_is(any_api: Api, server: MailServer) -> None:
    """Mail from an unknown sender waits unmatched until a manager assigns it to one of their
    clients: then it is logged as matched mail would have been (its request opened by the
    same rule), once, and its thread follows it."""
    api = any_api
    mia, max_ = await api.staff("Mia"), await api.staff("Max")
    acme = await api.client("Acme", mia)
    globex = await api.client("Globex", max_)
    box = Mailbox(server, api)
    quote = box.deliver(
        "Olga <olga@newco.example>", "Quote", "Please quote 40 seats.", timedelta(minutes=20)
    )
    away = box.deliver("bot@newco.example", "Away", "Back Monday.", Auto_Submitted="auto-replied")
    assert await box.run() == 0  # nothing logged: one unmatched, one ignored
    listed = await api.http.get(EMAILS, headers=mia.headers, params={"outcome": "unmatched"})
    [waiting] = listed.json()["items"]  # every manager sees the unmatched mail, to assign it
    assert (waiting["message_id"], waiting["client_id"], waiting["assigned_at"]) == (
        quote,
        None,
        None,
    )
    assign = f"{EMAILS}/{waiting['id']}/assign"

    refused = await api.http.post(assign, headers=mia.headers, json={"client_id": globex.id})
    assert refused.status_code == 404, refused.text  # Globex is Max's
    assert refused.headers["content-type"].startswith("application/problem+json")
    wrong = {"client_id": acme.id, "contact_id": globex.contacts[0]}
    assert (await api.http.post(assign, headers=mia.headers, json=wrong)).status_code == 422
    body = {"client_id": acme.id, "contact_id": acme.contacts[1]}
    assigned = await api.http.post(assign, headers=mia.headers, json=body)
    assert assigned.status_code == 200, assigned.text
    done = assigned.json()
    assert (done["outcome"], done["client_id"], done["assigned_by"]) == ("logged", acme.id, mia.id)
    assert done["assigned_at"] == api.clock.now().isoformat().replace("+00:00", "Z")

    [logged] = await emails_of(api, acme)
    assert logged["id"] == done["interaction_id"]
    assert (logged["subject"], logged["summary"]) == ("Quote", "Please quote 40 seats.")
    assert logged["contact_ids"] == [acme.contacts[1]] and logged["author_id"] == str(
        MAILBOX_AUTHOR
    )
    taken = await box.taken_in()
    assert logged["occurred_at"] == taken[quote].sent_at.isoformat().replace("+00:00", "Z")
    assert taken[quote].held_text is None  # the interaction's summary now
    assert (await api.request(ADMIN, logged["request_id"]))["status"] == "open"
    [opened] = await api.events("request.opened")
    assert opened["client_id"] == acme.id

    # Once: assigned again (by anyone who sees it) is a 409; out of Max's scope now, a 404
    again = await api.http.post(assign, headers=mia.headers, json=body)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    theirs = await api.http.post(assign, headers=max_.headers, json={"client_id": globex.id})
    assert theirs.status_code == 404, theirs.text
    # Ignored mail is no one's to assign: the admins' 409, a manager's 404
    ignored = (await box.taken_in())[away].id
    at = f"{EMAILS}/{ignored}/assign"
    assert (await api.http.post(at, headers=ADMIN, json={"client_id": acme.id})).status_code == 409
    assert (await api.http.post(at, headers=mia.headers, json=body)).status_code == 404

    # Its thread follows it: the reply is Acme's, its request still the one
    reply = box.deliver("olga@newco.example", "Re: Quote", "And 10 more.", In_Reply_To=quote)
    assert await box.run() == 1
    assert (await box.taken_in())[reply].client_id == uuid.UUID(acme.id)
    summaries = sorted(i["summary"] for i in await emails_of(api, acme))
    assert summaries == ["And 10 more.", "Please quote 40 seats."]
    assert len(await api.events("request.opened")) == 1


async def test_two_replicas_polling_at_once_take_each_message_once(
    api: Api, server: MailServer
) -> None:
    acme = await api.client("Acme", await api.staff("Mia"))
    box = Mailbox(server, api)
    sent = [box.deliver(contact_email(acme, i % 2), f"Question {i}", "?") for i in range(4)]
    sent.append(box.deliver("someone@elsewhere.example", "Hello", "Widgets?"))
    other = MailboxPoll(box.settings)  # a second replica's job
    now = api.advance(seconds=61)
    counts = await asyncio.gather(box.poll(api.runtime.uow, now), other(api.runtime.uow, now))
    assert sum(counts) == 4
    assert sorted(await box.taken_in()) == sorted(sent)
    assert len(await emails_of(api, acme)) == 4
    assert len(await api.events("request.opened")) == 4


async def test_the_rule_off_logs_without_a_request(any_api: Api, server: MailServer) -> None:
    api = any_api
    acme = await api.client("Acme", await api.staff("Mia"))
    box = Mailbox(server, api)
    box.settings.interactions_email_opens_request = False
    box.deliver(contact_email(acme).upper(), "Thanks", "All good.")  # addresses: any case
    assert await box.run() == 1
    [logged] = await emails_of(api, acme)
    assert logged["request_id"] is None
    assert await api.events("request.opened") == []


async def test_a_mailboxs_history_is_logged_without_requests(api: Api, server: MailServer) -> None:
    acme = await api.client("Acme", await api.staff("Mia"))
    box = Mailbox(server, api)
    box.deliver(contact_email(acme), "Old question", "?", ago=timedelta(days=8))
    box.deliver(contact_email(acme), "New question", "?", ago=timedelta(days=6))
    assert await box.run() == 2
    logged = {i["subject"]: i["request_id"] for i in await emails_of(api, acme)}
    assert logged["Old question"] is None and logged["New question"] is not None


async def test_a_broken_message_is_kept_once_by_its_uid(api: Api, server: MailServer) -> None:
    box = Mailbox(server, api)
    broken = b"From: someone@elsewhere.example\r\nMessage-ID: <>\r\nSubject: ?\r\n\r\nx\r\n"
    with smtplib.LMTP(server.lmtp_host, server.lmtp_port) as lmtp:
        lmtp.sendmail("someone@elsewhere.example", [f"{box.user}@localhost"], broken)
    box.deliver("someone@elsewhere.example", "After it", "the mailbox goes on")
    assert await box.run() == 0
    async with api.runtime.uow() as uow:
        await uow.session.execute(delete(MailboxState))  # read again from the start
        await uow.commit()
    assert await box.run() == 0
    taken = await box.taken_in()
    assert len(taken) == 2 and all(m.outcome == "unmatched" for m in taken.values())
    assert any(m.startswith("<uid.") for m in taken)


async def test_a_mailbox_refusing_the_folder_fails_the_poll(api: Api, server: MailServer) -> None:
    box = Mailbox(server, api)
    box.deliver("someone@elsewhere.example", "Hello", "Widgets?")
    # (a refused login is not tried here: dovecot then slows every login from loopback)
    elsewhere = box.settings.model_copy(update={"interactions_imap_folder": "Nowhere"})
    with pytest.raises(MailboxError, match="SELECT"):
        await MailboxPoll(elsewhere)(api.runtime.uow, api.clock.now())
    assert await box.taken_in() == {}
    assert await box.run() == 0 and len(await box.taken_in()) == 1  # INBOX is read


# ---------------------------------------------------------------- the Postmark webhook

TOKEN = "postmark-secret-0123456789abcdef"


@pytest.fixture
async def hooked(any_db_url: str) -> AsyncIterator[Api]:
    """The interactions app with the inbound email webhook's secret set."""
    clock = FixedClock(NOW)
    base = test_settings(database_url=any_db_url).model_dump()
    settings = InteractionsSettings(**base, interactions_inbound_email_token=TOKEN)
    app = create_app(settings, clock=clock, migrate_on_start=True, workers=False)
    async with running(app) as http:
        yield Api(http, runtime_of(app, "interactions"), clock)


def postmark(api: Api, sender: str, subject: str, **headers: str) -> dict[str, Any]:
    """A body as Postmark posts it (the fields email in reads, and some it does not)."""
    return {
        "FromName": "Someone",
        "From": sender,
        "To": "support@orbit.example",
        "Subject": subject,
        "MessageID": str(uuid.uuid4()),
        "Date": format_datetime(api.clock.now() - MINUTES_5),
        "TextBody": "",
        "HtmlBody": "<p>Our export fails &amp; stops.</p>",
        "Headers": [{"Name": n.replace("_", "-"), "Value": v} for n, v in headers.items()],
        "Attachments": [{"Name": "log.txt", "ContentType": "text/plain", "ContentLength": 42}],
        "MailboxHash": "",
    }


async def test_the_postmark_webhook_takes_each_message_in_once(hooked: Api) -> None:
    api = hooked
    acme = await api.client("Acme", await api.staff("Mia"))
    globex = await api.client("Globex", await api.staff("Ida"))
    url = f"/api/v1/integrations/emails/postmark/{TOKEN}"
    asked = postmark(api, contact_email(acme), "Export", Message_ID="<q1@client.example>")

    wrong = await api.http.post(url.replace(TOKEN, "x" * len(TOKEN)), json=asked)
    assert wrong.status_code == 404, wrong.text
    first = await api.http.post(url, json=asked)
    assert first.status_code == 200, first.text
    again = await api.http.post(url, json=asked)  # Postmark retries: the same message
    assert again.status_code == 200 and again.json() == first.json()
    taken = first.json()
    assert (taken["message_id"], taken["outcome"], taken["client_id"]) == (
        "<q1@client.example>",
        "logged",
        acme.id,
    )
    # Posted without its Content: listed, nothing to keep
    assert taken["attachments"] == [
        {
            "filename": "log.txt",
            "content_type": "text/plain",
            "size": 42,
            "status": "not_kept",
            "file_id": None,
            "detail": None,
        }
    ]
    [logged] = await emails_of(api, acme)
    assert logged["summary"] == "Our export fails & stops." and logged["request_id"]

    orbit_mail = message_id(uuid.uuid4(), "orbit.example", globex.id)
    reply = postmark(api, "cfo@globex.example", "Re: Invoice", In_Reply_To=orbit_mail)
    answered = await api.http.post(url, json=reply)
    assert answered.status_code == 200, answered.text
    assert answered.json()["client_id"] == globex.id
    assert answered.json()["message_id"] == f"<{reply['MessageID']}@postmark.inbound>"
    assert len(await emails_of(api, globex)) == 1 and len(await emails_of(api, acme)) == 1
