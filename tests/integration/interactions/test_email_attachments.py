"""The attachments of inbound mail kept as documents of the interaction the mail was logged as
(issue 22, sections 3 and 5), every service in one process: mail delivered over LMTP to a real
dovecot and read over IMAP, and posted to the Postmark webhook; the files on local disk with
SQLite and in a real S3-compatible store (SeaweedFS) with PostgreSQL. Each attachment once
whatever the retries, within the files' limits and scope; the files unreachable lose nothing
(the attachment waits in the interactions database and is handed over at a later round); and
the hand-over across processes (``orbit serve``: ``POST /internal/v1/files`` behind a real
HTTP server)."""

from __future__ import annotations

import asyncio
import base64
import smtplib
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.clients.settings import ClientsSettings
from services.embedded import SPECS
from services.interactions.domain.mail import MAILBOX_AUTHOR, attachment_file_id
from services.interactions.handlers.mail import attachment_retry, keep_attachments
from services.interactions.settings import InteractionsSettings
from services.interactions.store.mail import settle_attachment
from services.interactions.store.models import PendingAttachment
from services.interactions.workers import AttachmentKeeper, MailboxPoll
from shared.app import build_app
from shared.clock import FixedClock
from shared.files import ObjectStore
from shared.kept_files import FilesUnavailable, KeepRequest, Kept, http_keeper
from shared.mailrefs import message_id
from shared.runtime import ServiceRuntime
from tests.integration.interactions.helpers import NOW
from tests.support.apps import ADMIN, auth, running, runtime_of, served, test_settings
from tests.support.net import free_port
from tests.support.servers import MailServer, fresh_service_databases, mail_server, s3_server
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

TOKEN = "postmark-secret-attachments-0123456789"
MAX_BYTES = 64 * 1024
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 16 + b"\n%%EOF\n"  # 4 KiB, every byte value
HUGE = b"%PDF-1.7\n" + b"0" * MAX_BYTES  # over ORBIT_FILES_MAX_BYTES
EXE = b"MZ" + b"\x00" * 100  # a type the files do not accept
BATCH = 50


@dataclass
class Orbit:
    app: FastAPI
    http: httpx.AsyncClient
    clients: ServiceRuntime
    interactions: ServiceRuntime
    objects: ObjectStore
    clock: FixedClock
    mode: str
    settings: ClientsSettings

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        response = await self.http.post(path, json=body, headers=headers)
        assert response.status_code == 201, f"{path}: {response.text}"
        return response.json()

    async def keep(self) -> int:
        """One round of the attachment keeper (workers.py: AttachmentKeeper)."""
        assert self.interactions.files is not None
        return await keep_attachments(self.interactions.uow, self.interactions.files, BATCH)

    async def emails(self) -> dict[str, dict[str, Any]]:
        listed = await self.http.get("/api/v1/integrations/emails", headers=ADMIN)
        assert listed.status_code == 200, listed.text
        return {m["message_id"]: m for m in listed.json()["items"]}

    async def files_of(self, headers: dict[str, str], interaction_id: str) -> list[Any]:
        params = {"owner_type": "interaction", "owner_id": interaction_id}
        listed = await self.http.get("/api/v1/files", headers=headers, params=params)
        assert listed.status_code == 200, listed.text
        items: list[Any] = listed.json()["items"]
        return items

    async def content(self, headers: dict[str, str], file_id: str) -> bytes:
        """The document's bytes through its short-lived link (the store's, or the service's)."""
        found = await self.http.get(f"/api/v1/files/{file_id}", headers=headers)
        assert found.status_code == 200, found.text
        url = found.json()["download_url"]
        if url.startswith("/"):
            response = await self.http.get(url)
        else:
            async with httpx.AsyncClient() as outside:
                response = await outside.get(url)
        assert response.status_code == 200, response.text
        return response.content

    async def pending(self) -> list[PendingAttachment]:
        async with self.interactions.sessions() as session:
            return list(await session.scalars(select(PendingAttachment)))

    async def objects_now(self) -> list[str]:
        return await self.objects.keys_before(datetime.now(UTC) + timedelta(minutes=5))


@pytest.fixture(params=["local-sqlite", "s3-postgresql"])
async def orbit(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Orbit]:
    # The interactions service's own knob, read from the environment (its settings are built
    # from the clients' shared values).
    monkeypatch.setenv("ORBIT_INTERACTIONS_INBOUND_EMAIL_TOKEN", TOKEN)
    async with AsyncExitStack() as stack:
        values: dict[str, Any] = {"data_dir": str(tmp_path), "files_max_bytes": MAX_BYTES}
        if request.param == "s3-postgresql":
            s3 = s3_server()
            values |= await fresh_service_databases(stack, "mailfiles")
            values |= {
                "files_backend": "s3",
                "files_endpoint": s3.endpoint,
                "files_access_key": s3.access_key,
                "files_secret_key": s3.secret_key,
                "files_bucket": "orbit-tests",
                "files_prefix": f"{uuid.uuid4().hex}/",
            }
        settings = ClientsSettings(**test_settings().model_dump() | values)
        clock = FixedClock(NOW)
        # No workers: each round of the keeper is the test's (one test runs the worker).
        app = build_app(
            list(SPECS.values()), settings, clock=clock, migrate_on_start=True, workers=False
        )
        http = await stack.enter_async_context(running(app))
        yield Orbit(
            app,
            http,
            runtime_of(app, "clients"),
            runtime_of(app, "interactions"),
            settings.object_store(),
            clock,
            request.param,
            settings,
        )


async def portfolio(orbit: Orbit) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """Mia and Tom (managers; their headers) and Mia's client Acme."""
    mia = await orbit.post("/api/v1/staff", {"name": "Mia", "email": "mia@x.example"}, ADMIN)
    tom = await orbit.post("/api/v1/staff", {"name": "Tom", "email": "tom@x.example"}, ADMIN)
    acme = await orbit.post(
        "/api/v1/clients", {"name": "Acme", "account_manager_id": mia["id"]}, ADMIN
    )
    return auth(mia["id"], "manager"), auth(tom["id"], "manager"), acme


def orbit_mail(client: dict[str, Any]) -> str:
    """The Message-ID of an email Orbit sent the client (a reply to it is the client's)."""
    return message_id(uuid.uuid4(), "orbit.example", uuid.UUID(client["id"]))


class Mailbox:
    """A mailbox of the test's own on the dovecot of deploy/local, and its poll."""

    def __init__(self, server: MailServer, clock: FixedClock) -> None:
        self.server, self.clock = server, clock
        self.user = f"a{uuid.uuid4().hex[:12]}"
        self.poll = MailboxPoll(
            InteractionsSettings(
                interactions_imap_url=server.imap_url,
                interactions_imap_user=self.user,
                interactions_imap_password=server.password,
                interactions_imap_poll_seconds=60,
            )
        )

    def deliver(self, message: EmailMessage) -> None:
        del message["To"]
        message["To"] = f"{self.user}@localhost"
        with smtplib.LMTP(self.server.lmtp_host, self.server.lmtp_port) as lmtp:
            assert lmtp.send_message(message) == {}

    async def read(self, orbit: Orbit) -> int:
        orbit.clock.advance(timedelta(seconds=61))  # a poll interval after the last
        return await self.poll(orbit.interactions.uow, orbit.clock.now())


def mail(
    clock: FixedClock, sender: str, subject: str, *parts: tuple[str, str, bytes], **headers: str
) -> EmailMessage:
    """A message with attachments (name, media type, bytes)."""
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now() - timedelta(minutes=5))
    message["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Please find the documents attached.")
    for name, media_type, content in parts:
        maintype, subtype = media_type.split("/")
        message.add_attachment(content, maintype, subtype, filename=name)
    return message


async def test_attachments_of_mail_read_over_imap_are_kept_once(orbit: Orbit) -> None:
    as_mia, as_tom, acme = await portfolio(orbit)
    box = Mailbox(mail_server(), orbit.clock)
    reply = mail(
        orbit.clock,
        "Finance <finance@acme.example>",
        "Re: Invoice 42",
        ("payment.pdf", "application/pdf", PDF),
        ("scan.pdf", "application/pdf", HUGE),
        ("tool.exe", "application/x-msdownload", EXE),
        In_Reply_To=orbit_mail(acme),
    )
    stranger = mail(
        orbit.clock, "someone@elsewhere.example", "Hello", ("brochure.pdf", "application/pdf", PDF)
    )
    box.deliver(reply)
    box.deliver(stranger)
    box.deliver(reply)  # the same message again (a server's retry): the same Message-ID
    wakes: list[str] = []  # the keeper woken (attachment_workers wires it to the poll)
    box.poll.kept_attachments = lambda: wakes.append("wake")
    assert await box.read(orbit) == 1
    assert wakes == ["wake"]  # for the reply only: the stranger's attachment is held

    # Taken in: the attachments wait for the files until the keeper's round
    listed = (await orbit.emails())[str(reply["Message-ID"])]
    assert [a["status"] for a in listed["attachments"]] == ["pending"] * 3
    waiting = await orbit.pending()
    assert sorted(p.interaction_id is None for p in waiting) == [False, False, False, True]
    assert await orbit.keep() == 3
    [held] = await orbit.pending()  # the stranger's, until the message is assigned
    assert (held.filename, held.interaction_id, held.attempts) == ("brochure.pdf", None, 0)

    emails = await orbit.emails()
    listed = emails[str(reply["Message-ID"])]
    interaction = listed["interaction_id"]
    kept_id = str(attachment_file_id(uuid.UUID(listed["id"]), 0))
    assert [(a["filename"], a["status"], a["file_id"]) for a in listed["attachments"]] == [
        ("payment.pdf", "kept", kept_id),
        ("scan.pdf", "too_large", None),
        ("tool.exe", "type", None),
    ]
    assert listed["attachments"][1]["detail"] == f"the file is larger than {MAX_BYTES} bytes"
    assert listed["attachments"][0]["size"] == len(PDF)
    # Unmatched mail's attachments are held until a person assigns it (test_email_assign.py)
    [brochure] = emails[str(stranger["Message-ID"])]["attachments"]
    assert (brochure["status"], brochure["file_id"]) == ("held", None)

    # A document of the interaction, in Mia's scope (her client's), not in Tom's
    [document] = await orbit.files_of(as_mia, interaction)
    assert (document["id"], document["filename"], document["content_type"]) == (
        kept_id,
        "payment.pdf",
        "application/pdf",
    )
    assert (document["size"], document["client_id"], document["uploaded_by"]) == (
        len(PDF),
        acme["id"],
        str(MAILBOX_AUTHOR),
    )
    assert await orbit.content(as_mia, kept_id) == PDF
    assert await orbit.files_of(as_tom, interaction) == []
    assert (await orbit.http.get(f"/api/v1/files/{kept_id}", headers=as_tom)).status_code == 404

    # Read again (the read state lost) and handed over again: one file, one object
    box.poll = MailboxPoll(box.poll.settings)
    box.deliver(reply)
    assert await box.read(orbit) == 0
    assert await orbit.keep() == 0
    assert orbit.interactions.files is not None
    again = KeepRequest(
        uuid.UUID(kept_id),
        "interaction",
        uuid.UUID(interaction),
        "payment.pdf",
        "application/pdf",
        PDF,
        MAILBOX_AUTHOR,
    )
    assert await orbit.interactions.files(again) == Kept(uuid.UUID(kept_id))
    # Two hand-overs of a new one at once (two replicas): one document, its object kept
    twice = replace(again, file_id=uuid.uuid4(), filename="copy.pdf")
    assert (
        await asyncio.gather(orbit.interactions.files(twice), orbit.interactions.files(twice))
        == [Kept(twice.file_id)] * 2
    )
    assert await orbit.content(as_mia, str(twice.file_id)) == PDF
    removed = await orbit.http.delete(f"/api/v1/files/{twice.file_id}", headers=as_mia)
    assert removed.status_code == 204, removed.text
    assert [f["id"] for f in await orbit.files_of(as_mia, interaction)] == [kept_id]
    assert await orbit.objects_now() == [f"files/{kept_id}"]


def postmark(
    orbit: Orbit, client: dict[str, Any], *attachments: tuple[str, str, bytes]
) -> dict[str, Any]:
    """A body as Postmark posts it, its attachments' content in base64."""
    return {
        "From": "cfo@acme.example",
        "Subject": "Re: Contract",
        "MessageID": str(uuid.uuid4()),
        "Date": format_datetime(orbit.clock.now() - timedelta(minutes=5)),
        "TextBody": "Signed, attached.",
        "Headers": [{"Name": "In-Reply-To", "Value": orbit_mail(client)}],
        "Attachments": [
            {
                "Name": name,
                "ContentType": media_type,
                "ContentLength": len(content),
                "Content": base64.b64encode(content).decode(),
            }
            for name, media_type, content in attachments
        ],
    }


async def test_attachments_posted_by_the_webhook_are_kept_once(orbit: Orbit) -> None:
    as_mia, _, acme = await portfolio(orbit)
    url = f"/api/v1/integrations/emails/postmark/{TOKEN}"
    signed = b"signed contract\n" * 50
    # A scan larger than ORBIT_MAX_BODY_BYTES (1 MiB) in base64: the webhook takes the body
    scan = b"%PDF-1.7\n" + bytes(range(256)) * 4096
    body = postmark(
        orbit,
        acme,
        ("contract.txt", "text/plain", signed),
        ("empty.txt", "", b""),
        ("scan.pdf", "application/pdf", scan),
    )
    first = await orbit.http.post(url, json=body)
    assert first.status_code == 200, first.text
    assert [a["status"] for a in first.json()["attachments"]] == ["pending"] * 3
    assert await orbit.keep() == 3
    again = await orbit.http.post(url, json=body)  # Postmark retries: the same message
    assert again.status_code == 200, again.text
    assert await orbit.keep() == 0

    taken = again.json()
    kept_id = str(attachment_file_id(uuid.UUID(taken["id"]), 0))
    assert [(a["status"], a["file_id"]) for a in taken["attachments"]] == [
        ("kept", kept_id),
        ("empty", None),
        ("too_large", None),  # over ORBIT_FILES_MAX_BYTES: skipped, the message kept
    ]
    assert taken["attachments"][2]["size"] == len(scan)
    [document] = await orbit.files_of(as_mia, taken["interaction_id"])
    assert (document["id"], document["content_type"]) == (kept_id, "text/plain")
    assert await orbit.content(as_mia, kept_id) == signed


async def test_the_files_unreachable_the_attachment_waits_and_is_kept_later(
    orbit: Orbit,
) -> None:
    as_mia, _, acme = await portfolio(orbit)
    linked = orbit.interactions.files
    # The clients service of `orbit serve` not answering (nothing listens there)
    unreachable = orbit.settings.model_copy(
        update={"clients_url": f"http://127.0.0.1:{free_port()}"}
    )
    down, close = http_keeper(unreachable)
    orbit.interactions.files = down
    try:
        with pytest.raises(FilesUnavailable):
            await down(KeepRequest(uuid.uuid4(), "client", uuid.UUID(acme["id"]), "a", "", b"a"))
        url = f"/api/v1/integrations/emails/postmark/{TOKEN}"
        body = postmark(
            orbit, acme, ("a.pdf", "application/pdf", PDF), ("b.txt", "text/plain", b"b")
        )
        taken = await orbit.http.post(url, json=body)
        assert taken.status_code == 200, taken.text  # the mail is taken in all the same
        assert taken.json()["outcome"] == "logged"
        assert await orbit.keep() == 0
    finally:
        await close()
    [tried, untried] = sorted(await orbit.pending(), key=lambda p: -p.attempts)
    assert (tried.attempts, untried.attempts) == (1, 0)  # the round ended at the first
    assert tried.last_error is not None and "FilesUnavailable" in tried.last_error
    # tried again after its back-off (ORBIT_INTERACTIONS_EMAIL_ATTACHMENTS_SECONDS at first)
    assert (tried.retry_at, untried.retry_at) == (orbit.clock.now() + timedelta(seconds=30), None)
    statuses = (await orbit.emails())[taken.json()["message_id"]]["attachments"]
    assert [a["status"] for a in statuses] == ["pending", "pending"]
    orbit.interactions.files = linked
    assert await orbit.keep() == 1  # the untried one; the tried one waits out its back-off
    statuses = (await orbit.emails())[taken.json()["message_id"]]["attachments"]
    assert sorted(a["status"] for a in statuses) == ["kept", "pending"]
    assert await orbit.keep() == 0  # not before its time
    orbit.clock.advance(timedelta(seconds=30))

    # The files back: the worker's next round keeps the other
    keeper = AttachmentKeeper(orbit.interactions)
    worker = asyncio.create_task(keeper.run())
    try:

        async def kept() -> bool:
            listed = (await orbit.emails())[taken.json()["message_id"]]["attachments"]
            return [a["status"] for a in listed] == ["kept", "kept"]

        await eventually(kept, timeout=20, what="the attachments kept")
    finally:
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await worker
    assert await orbit.pending() == []
    interaction = taken.json()["interaction_id"]
    files = await orbit.files_of(as_mia, interaction)
    assert sorted(f["filename"] for f in files) == ["a.pdf", "b.txt"]
    by_name = {f["filename"]: f["id"] for f in files}
    assert await orbit.content(as_mia, by_name["a.pdf"]) == PDF


# The HTTP hand-over does not depend on the store or the database: one setup of the two.
@pytest.mark.parametrize("orbit", ["local-sqlite"], indirect=True)
async def test_the_hand_over_across_processes(orbit: Orbit) -> None:
    """``orbit serve``: the interactions service hands the attachment to the clients service
    at ORBIT_CLIENTS_URL (``POST /internal/v1/files``, a ``service`` token)."""
    as_mia, _, acme = await portfolio(orbit)
    async with served(orbit.app) as url:
        keep, close = http_keeper(orbit.settings.model_copy(update={"clients_url": url}))
        orbit.interactions.files = keep
        try:
            body = postmark(orbit, acme, ("minutes.txt", "text/plain", b"minutes"))
            taken = await orbit.http.post(
                f"/api/v1/integrations/emails/postmark/{TOKEN}", json=body
            )
            assert taken.status_code == 200, taken.text
            assert await orbit.keep() == 1
            file_id = attachment_file_id(uuid.UUID(taken.json()["id"]), 0)
            interaction = uuid.UUID(taken.json()["interaction_id"])
            request = KeepRequest(file_id, "interaction", interaction, "x.txt", "text/plain", b"x")
            assert await keep(request) == Kept(file_id)  # handed again: the file kept before
            unknown = KeepRequest(uuid.uuid4(), "interaction", uuid.uuid4(), "y.txt", "", b"y")
            assert await keep(unknown) is None  # an interaction nobody knows: 404
            too_large = KeepRequest(
                uuid.uuid4(), "interaction", interaction, "big.pdf", "application/pdf", HUGE
            )
            skipped = await keep(too_large)
            assert skipped is not None and (skipped.file_id, skipped.skipped) == (None, "too_large")
        finally:
            await close()
        async with httpx.AsyncClient(base_url=url) as outside:
            refused = await outside.post(
                "/internal/v1/files",
                headers=as_mia,
                data={"file_id": str(uuid.uuid4()), "owner_type": "client", "owner_id": acme["id"]},
                files={"file": ("a.txt", b"a", "text/plain")},
            )
            assert refused.status_code == 403, refused.text  # for services only
    [document] = await orbit.files_of(as_mia, str(interaction))
    assert (document["id"], document["filename"]) == (str(file_id), "minutes.txt")
    assert await orbit.content(as_mia, str(file_id)) == b"minutes"


def stranger_post(orbit: Orbit, *attachments: tuple[str, str, bytes]) -> dict[str, Any]:
    """Postmark's body of a message from no one Orbit knows (unmatched)."""
    body = postmark(orbit, {"id": str(uuid.uuid4())}, *attachments)
    return body | {"From": "olga@newco.example", "Subject": "Quote", "Headers": []}


async def test_the_attachments_of_unmatched_mail_are_kept_once_it_is_assigned(
    orbit: Orbit,
) -> None:
    as_mia, as_tom, acme = await portfolio(orbit)
    url = f"/api/v1/integrations/emails/postmark/{TOKEN}"
    taken = await orbit.http.post(
        url, json=stranger_post(orbit, ("rfq.pdf", "application/pdf", PDF))
    )
    assert taken.status_code == 200, taken.text
    message = taken.json()
    assert (message["outcome"], message["attachments"][0]["status"]) == ("unmatched", "held")
    assert await orbit.keep() == 0  # held: nothing to hand over yet
    assign = f"/api/v1/integrations/emails/{message['id']}/assign"
    refused = await orbit.http.post(assign, headers=as_tom, json={"client_id": acme["id"]})
    assert refused.status_code == 404, refused.text  # Acme is Mia's

    orbit.clock.advance(timedelta(days=2))  # assigned a while later: still in time
    assigned = await orbit.http.post(assign, headers=as_mia, json={"client_id": acme["id"]})
    assert assigned.status_code == 200, assigned.text
    done = assigned.json()
    assert (done["outcome"], done["attachments"][0]["status"]) == ("logged", "pending")
    [waiting] = await orbit.pending()  # waits for the files from its assignment
    assert (waiting.interaction_id, waiting.created_at) == (
        uuid.UUID(done["interaction_id"]),
        orbit.clock.now(),
    )
    assert await orbit.keep() == 1
    file_id = str(attachment_file_id(uuid.UUID(message["id"]), 0))
    [document] = await orbit.files_of(as_mia, done["interaction_id"])
    assert (document["id"], document["filename"]) == (file_id, "rfq.pdf")
    assert await orbit.content(as_mia, file_id) == PDF
    listed = (await orbit.emails())[message["message_id"]]
    assert (listed["attachments"][0]["status"], listed["attachments"][0]["file_id"]) == (
        "kept",
        file_id,
    )
    again = await orbit.http.post(assign, headers=as_mia, json={"client_id": acme["id"]})
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert await orbit.pending() == []


async def test_attachments_the_files_never_take_expire(
    orbit: Orbit, caplog: pytest.LogCaptureFixture
) -> None:
    """The clients service down for good: an attachment is given up on after its attempts or
    its age (ORBIT_INTERACTIONS_EMAIL_ATTACHMENT_MAX_ATTEMPTS, ..._MAX_AGE_HOURS), expired in
    the message's list, logged, and not tried again; a held one whose message nobody assigns
    expires by its age alike."""
    _, _, acme = await portfolio(orbit)
    url = f"/api/v1/integrations/emails/postmark/{TOKEN}"
    unreachable = orbit.settings.model_copy(
        update={"clients_url": f"http://127.0.0.1:{free_port()}"}
    )
    down, close = http_keeper(unreachable)
    retry = attachment_retry(
        InteractionsSettings(
            interactions_email_attachment_max_attempts=3,
            interactions_email_attachment_max_age_hours=48,
        )
    )
    try:
        logged = await orbit.http.post(
            url, json=postmark(orbit, acme, ("a.pdf", "application/pdf", PDF))
        )
        assert logged.status_code == 200, logged.text
        orbit.clock.advance(timedelta(hours=1))
        unmatched = await orbit.http.post(
            url, json=stranger_post(orbit, ("b.pdf", "application/pdf", PDF))
        )
        assert unmatched.status_code == 200, unmatched.text

        async def round_() -> int:
            return await keep_attachments(orbit.interactions.uow, down, BATCH, retry)

        async def status(answer: httpx.Response) -> dict[str, Any]:
            entry: dict[str, Any] = (await orbit.emails())[answer.json()["message_id"]][
                "attachments"
            ][0]
            return entry

        # Two failed attempts, each after its back-off (30 s, then 60 s)
        assert await round_() == 0
        assert await round_() == 0  # not again before its back-off
        [tried] = [p for p in await orbit.pending() if p.interaction_id is not None]
        assert tried.attempts == 1
        orbit.clock.advance(timedelta(seconds=30))
        assert await round_() == 0
        orbit.clock.advance(timedelta(seconds=60))
        with caplog.at_level("WARNING", logger="orbit.interactions.email_in"):
            assert await round_() == 1  # the third failure: given up on
        entry = await status(logged)
        assert (entry["status"], entry["file_id"]) == ("expired", None)
        assert "after 3 attempts" in entry["detail"] and "FilesUnavailable" in entry["detail"]
        assert any("expired" in r.getMessage() for r in caplog.records)
        [held] = await orbit.pending()  # the unmatched message's, not tried
        assert (held.interaction_id, held.attempts) == (None, 0)
        assert (await status(unmatched))["status"] == "held"

        # The held one expires 48 hours after its message came in, never assigned
        orbit.clock.advance(timedelta(hours=47))
        assert await round_() == 0
        orbit.clock.advance(timedelta(hours=1))
        assert await round_() == 1
        assert await orbit.pending() == []
        entry = await status(unmatched)
        assert (entry["status"], entry["detail"]) == (
            "expired",
            "given up on: its message was not assigned in time",
        )
        assert await round_() == 0  # not tried again
    finally:
        await close()
    # Assigned after all: logged, its attachment stays expired (its bytes are gone)
    assign = f"/api/v1/integrations/emails/{unmatched.json()['id']}/assign"
    assigned = await orbit.http.post(assign, headers=ADMIN, json={"client_id": acme["id"]})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["attachments"][0]["status"] == "expired"
    assert await orbit.pending() == []


async def test_an_attachment_expires_by_its_age_whatever_its_attempts(orbit: Orbit) -> None:
    """The age alone: an attachment never tried (the files unreachable ahead of it, or no way
    to them at all) expires once it has waited the default week."""
    _, _, acme = await portfolio(orbit)
    url = f"/api/v1/integrations/emails/postmark/{TOKEN}"
    taken = await orbit.http.post(
        url, json=postmark(orbit, acme, ("a.pdf", "application/pdf", PDF))
    )
    assert taken.status_code == 200, taken.text
    orbit.clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert await keep_attachments(orbit.interactions.uow, None, BATCH) == 0  # no way to files
    assert len(await orbit.pending()) == 1
    orbit.clock.advance(timedelta(seconds=1))
    assert await keep_attachments(orbit.interactions.uow, None, BATCH) == 1
    assert await orbit.pending() == []
    [entry] = (await orbit.emails())[taken.json()["message_id"]]["attachments"]
    assert entry["status"] == "expired"
    assert entry["detail"] == "given up on: the files were not reached in time"


async def test_a_held_attachment_assigned_as_it_expires_waits_anew(orbit: Orbit) -> None:
    """A keeper's round read a held attachment past its age; its message is assigned before
    the round expires it: the expiry finds it changed and leaves it, to be kept."""
    as_mia, _, acme = await portfolio(orbit)
    url = f"/api/v1/integrations/emails/postmark/{TOKEN}"
    body = stranger_post(orbit, ("rfq.pdf", "application/pdf", PDF))
    taken = await orbit.http.post(url, json=body)
    assert taken.status_code == 200, taken.text
    orbit.clock.advance(timedelta(days=8))
    [stale] = await orbit.pending()  # as the round read it, about to expire it
    assign = f"/api/v1/integrations/emails/{taken.json()['id']}/assign"
    assigned = await orbit.http.post(assign, headers=as_mia, json={"client_id": acme["id"]})
    assert assigned.status_code == 200, assigned.text
    async with orbit.interactions.uow() as uow:
        expired = {"status": "expired", "file_id": None, "detail": "given up on"}
        await settle_attachment(uow.session, stale, expired)
        await uow.commit()
    [entry] = (await orbit.emails())[taken.json()["message_id"]]["attachments"]
    assert entry["status"] == "pending"
    assert await orbit.keep() == 1
    [entry] = (await orbit.emails())[taken.json()["message_id"]]["attachments"]
    assert entry["status"] == "kept"
