"""Email in: a message read from Orbit's mailbox becomes an inbound ``email`` interaction.

Which client: the one an Orbit email it replies to names (``shared.mailrefs``: its
``In-Reply-To`` / ``References``), else the client of an earlier message of its thread taken
in, else the one client whose contact sent it. None: kept as ``unmatched``; what is logged
and what opens a request: ``domain.mail.outcome`` and ``domain.mail.opens_request``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from services.interactions.commands import InteractionIn
from services.interactions.domain import mail as rules
from services.interactions.handlers.interactions import log_interaction
from services.interactions.settings import InteractionsSettings
from services.interactions.store import mail as repo
from services.interactions.store.models import InboundEmail, PendingAttachment
from shared.auth import Caller, Role
from shared.errors import NotFound, Unavailable
from shared.kept_files import FileKeep, FilesUnavailable, KeepRequest, Kept
from shared.mailrefs import referenced_client
from shared.replicas import ClientView, clients_with_contact, contact_with, lock_client
from shared.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("orbit.interactions.email_in")

# The mailbox logs on any client, as no member of staff (``rules.MAILBOX_AUTHOR``).
MAILBOX = Caller(id=rules.MAILBOX_AUTHOR, role=Role.ADMIN)


async def _client(
    uow: UnitOfWork, mailbox: str, mail: rules.InboundMail
) -> tuple[ClientView | None, list[InboundEmail]]:
    """The client the message is about (its row locked), and its thread's earlier messages."""
    thread = await repo.thread_of(uow.session, mailbox, mail.thread())
    client_id = referenced_client(mail.thread()) or (thread[0].client_id if thread else None)
    if client_id is None:
        candidates = await clients_with_contact(uow.session, "email", mail.sender)
        if len(candidates) != 1:
            return None, thread  # nobody, or a contact of several clients: a person decides
        client_id = candidates[0].id
    try:
        return await lock_client(uow.session, None, client_id), thread
    except NotFound:
        return None, thread  # a client Orbit does not know (any more)


async def take_in(
    uow: UnitOfWork,
    mailbox: str,
    uid: int | None,
    mail: rules.InboundMail,
    settings: InteractionsSettings,
) -> InboundEmail | None:
    """Take one message in (None when it was already: each message once)."""
    if await repo.seen(uow.session, mailbox, mail.message_id):
        return None
    now = uow.clock.now()
    client, thread = await _client(uow, mailbox, mail)
    outcome = rules.outcome(mail, matched=client is not None, in_thread=bool(thread))
    record = InboundEmail(
        id=uuid.uuid4(),
        mailbox=mailbox,
        message_id=mail.message_id,
        uid=uid,
        received_at=now,
        sender=mail.sender[:320],
        subject=mail.subject or None,
        in_reply_to=mail.in_reply_to,
        reference_ids=list(mail.references),
        outcome=outcome,
        client_id=client.id if client and outcome == "logged" else None,
        interaction_id=None,
        attachments=[],
    )
    if outcome == "logged" and client is not None:
        earlier = [m.interaction_id for m in thread if m.interaction_id is not None]
        contact = contact_with(client.contacts, "email", mail.sender)
        command = InteractionIn(
            client_id=client.id,
            type="email",
            direction="inbound",
            occurred_at=rules.occurred_at(mail, now),
            subject=mail.subject or None,
            summary=mail.text or None,
            contact_ids=[uuid.UUID(contact)] if contact else [],
            requires_response=rules.opens_request(
                mail,
                enabled=settings.interactions_email_opens_request,
                thread_has_open_request=await repo.has_unanswered_request(uow.session, earlier),
                received=now,
                max_age=timedelta(hours=settings.interactions_email_request_max_age_hours),
            ),
        )
        interaction = await log_interaction(uow, MAILBOX, command, settings)
        record.interaction_id = interaction.id
    record.attachments = _attachments(uow, record, mail)
    uow.session.add(record)
    await uow.session.flush()
    return record


def _attachments(
    uow: UnitOfWork, record: InboundEmail, mail: rules.InboundMail
) -> list[dict[str, Any]]:
    """The message's list of attachments; the bytes of those to keep written beside it, to be
    handed to the files (:func:`keep_attachments`)."""
    entries: list[dict[str, Any]] = []
    for position, attachment in enumerate(mail.attachments):
        status = rules.attachment_status(attachment, logged=record.interaction_id is not None)
        file_id = rules.attachment_file_id(record.id, position)
        if status == "pending":
            assert record.interaction_id is not None and attachment.content is not None
            uow.session.add(
                PendingAttachment(
                    file_id=file_id,
                    email_id=record.id,
                    position=position,
                    interaction_id=record.interaction_id,
                    filename=attachment.filename[:500],
                    content_type=attachment.content_type[:255],
                    content=attachment.content,
                    created_at=record.received_at,
                    attempts=0,
                )
            )
        entries.append(rules.attachment_entry(attachment, status))
    return entries


def _settled(kept: Kept | None, file_id: uuid.UUID) -> dict[str, Any]:
    """What the files answered, as the message's list records it."""
    if kept is None:  # the interaction unknown to the files (gone meanwhile)
        return {"status": "not_kept", "file_id": None}
    if kept.file_id is None:
        return {"status": kept.skipped or "not_kept", "file_id": None, "detail": kept.detail}
    return {"status": "kept", "file_id": str(file_id)}


async def keep_attachments(uow_factory: UnitOfWorkFactory, keep: FileKeep, limit: int) -> int:
    """Hand up to ``limit`` pending attachments to the files (``shared.kept_files``), oldest
    first, each kept as a document of its interaction under its own id (kept once, however
    often it is handed over); returns how many were settled (kept or refused by the limits).
    One the files fail to take stays pending (its attempt and error counted), to be tried
    again at the next round; the files unreachable end the round."""
    async with uow_factory() as uow:
        pending = await repo.pending_attachments(uow.session, limit)
    settled = 0
    for file_id in pending:  # one in memory at a time
        async with uow_factory() as uow:
            item = await repo.pending_attachment(uow.session, file_id)
            uow.session.expunge_all()  # read as it is (the unit of work's end keeps it so)
        if item is None:
            continue  # settled by another round
        try:
            kept = await keep(
                KeepRequest(
                    item.file_id,
                    "interaction",
                    item.interaction_id,
                    item.filename,
                    item.content_type,
                    item.content,
                    rules.MAILBOX_AUTHOR,
                )
            )
        except Exception as exc:  # retried at the next round
            log.warning("email in: attachment %s not kept yet: %r", item.file_id, exc)
            async with uow_factory() as uow:
                await repo.attachment_failed(uow.session, item.file_id, repr(exc))
                await uow.commit()
            if isinstance(exc, FilesUnavailable | Unavailable):
                return settled  # the files are down: the others would fail alike
            continue
        async with uow_factory() as uow:
            await repo.settle_attachment(uow.session, item, _settled(kept, item.file_id))
            await uow.commit()
        settled += 1
    return settled


async def receive(
    uow: UnitOfWork, mailbox: str, mail: rules.InboundMail, settings: InteractionsSettings
) -> InboundEmail:
    """A message an email provider's webhook posted: taken in once; a retry (the provider
    sends again until it sees a 2xx) answers with the message as it was taken in."""
    taken = await take_in(uow, mailbox, None, mail, settings)
    return taken or await repo.message(uow.session, mailbox, mail.message_id)
