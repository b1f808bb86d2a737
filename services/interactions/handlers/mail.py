"""Email in: a message read from Orbit's mailbox becomes an inbound ``email`` interaction.

Which client: the one an Orbit email it replies to names (``shared.mailrefs``: its
``In-Reply-To`` / ``References``), else the client of an earlier message of its thread taken
in, else the one client whose contact sent it. None: kept as ``unmatched`` (its text and
attachments held) until a manager assigns it (``assign_email``, the calls' checks); what is
logged and what opens a request: ``domain.mail.outcome`` and ``domain.mail.opens_request``.
Attachments wait for the files within bounds (``domain.mail.attachment_expired``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any, cast

from services.interactions.commands import EmailAssignIn, InteractionIn
from services.interactions.domain import mail as rules
from services.interactions.handlers.interactions import WRITERS, log_interaction
from services.interactions.handlers.unmatched import claim
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
        client_id=None,
        interaction_id=None,
        attachments=[],
        sent_at=mail.sent_at,
        automatic=mail.automatic,
        # what logging it takes when a manager assigns it (``assign_email``)
        held_text=(mail.text or None) if outcome == "unmatched" else None,
    )
    if outcome == "logged" and client is not None:
        contact = contact_with(client.contacts, "email", mail.sender)
        contact_id = uuid.UUID(contact) if contact else None
        await _log(uow, record, mail, client, contact_id, thread, settings)
    record.attachments = _attachments(uow, record, mail)
    uow.session.add(record)
    await uow.session.flush()
    return record


async def _log(
    uow: UnitOfWork,
    record: InboundEmail,
    mail: rules.InboundMail,
    client: ClientView,
    contact_id: uuid.UUID | None,
    thread: list[InboundEmail],
    settings: InteractionsSettings,
) -> None:
    """Log the message on ``client`` as an inbound ``email`` interaction (through the log's
    own use case: its request, SLA and events are those of any), opening a request unless
    ``rules.opens_request`` says otherwise (``thread``: its earlier messages logged)."""
    earlier = [m.interaction_id for m in thread if m.interaction_id is not None]
    command = InteractionIn(
        client_id=client.id,
        type="email",
        direction="inbound",
        occurred_at=rules.occurred_at(mail, record.received_at),
        subject=mail.subject or None,
        summary=mail.text or None,
        contact_ids=[contact_id] if contact_id else [],
        requires_response=rules.opens_request(
            mail,
            enabled=settings.interactions_email_opens_request,
            thread_has_open_request=await repo.has_unanswered_request(uow.session, earlier),
            received=record.received_at,
            max_age=timedelta(hours=settings.interactions_email_request_max_age_hours),
        ),
    )
    interaction = await log_interaction(uow, MAILBOX, command, settings)
    record.outcome = "logged"
    record.client_id = client.id
    record.interaction_id = interaction.id


def _attachments(
    uow: UnitOfWork, record: InboundEmail, mail: rules.InboundMail
) -> list[dict[str, Any]]:
    """The message's list of attachments; the bytes of those to keep written beside it, to be
    handed to the files (:func:`keep_attachments`) — or, held with an unmatched message,
    once it is assigned (:func:`assign_email`)."""
    entries: list[dict[str, Any]] = []
    for position, attachment in enumerate(mail.attachments):
        status = rules.attachment_status(attachment, cast(rules.MailOutcome, record.outcome))
        file_id = rules.attachment_file_id(record.id, position)
        if status in ("pending", "held"):
            assert attachment.content is not None
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


def _as_mail(record: InboundEmail) -> rules.InboundMail:
    """The message as it was taken in (its attachments aside: held beside it)."""
    return rules.InboundMail(
        message_id=record.message_id,
        sender=record.sender,
        subject=record.subject or "",
        text=record.held_text or "",
        sent_at=record.sent_at,
        in_reply_to=record.in_reply_to,
        references=tuple(record.reference_ids),
        automatic=record.automatic,
        attachments=(),
    )


async def assign_email(
    uow: UnitOfWork,
    caller: Caller,
    email_id: uuid.UUID,
    command: EmailAssignIn,
    settings: InteractionsSettings,
) -> InboundEmail:
    """An unmatched message is this client's (one the caller may see: 404 otherwise; the
    contact: ``command``'s, else the client's contact whose address sent it): logged on it as
    a matched one would have been (its thread's earlier messages on that client counted),
    its held attachments then handed to the files. 409 when it is not unmatched."""
    caller.require(*WRITERS)
    record = await repo.get_email(uow.session, caller, email_id, for_update=True)
    conflict = None
    if record.outcome != "unmatched":
        conflict = f"message {email_id} is {record.outcome} already, not unmatched"
    client = await claim(uow, caller, record, command, conflict)
    contact_id = command.contact_id
    if contact_id is None:
        contact = contact_with(client.contacts, "email", record.sender)
        contact_id = uuid.UUID(contact) if contact else None
    mail = _as_mail(record)
    thread = await repo.thread_of(uow.session, record.mailbox, mail.thread())
    thread = [m for m in thread if m.client_id == client.id]
    await _log(uow, record, mail, client, contact_id, thread, settings)
    record.held_text = None  # the interaction's summary now
    now = uow.clock.now()
    assert record.interaction_id is not None
    released = await repo.release_held(uow.session, record.id, record.interaction_id, now)
    record.attachments = [
        {**a, "status": "pending"} if i in released else dict(a)
        for i, a in enumerate(record.attachments)
    ]
    await uow.session.flush()
    return record


def _settled(kept: Kept | None, file_id: uuid.UUID) -> dict[str, Any]:
    """What the files answered, as the message's list records it."""
    if kept is None:  # the interaction unknown to the files (gone meanwhile)
        return {"status": "not_kept", "file_id": None}
    if kept.file_id is None:
        return {"status": kept.skipped or "not_kept", "file_id": None, "detail": kept.detail}
    return {"status": "kept", "file_id": str(file_id)}


def attachment_retry(settings: InteractionsSettings) -> rules.AttachmentRetry:
    """How long attachments wait for the files, as the service's settings say."""
    return rules.AttachmentRetry(
        max_attempts=settings.interactions_email_attachment_max_attempts,
        max_age=timedelta(hours=settings.interactions_email_attachment_max_age_hours),
        first_delay=timedelta(seconds=settings.interactions_email_attachments_seconds),
    )


DEFAULT_RETRY = attachment_retry(InteractionsSettings.model_construct())


async def _expire(uow_factory: UnitOfWorkFactory, item: PendingAttachment) -> None:
    """Give up on a waiting attachment: ``expired`` in its message's list, its bytes gone."""
    held = item.interaction_id is None
    if held:
        why = "its message was not assigned in time"
    elif item.attempts == 0:
        why = "the files were not reached in time"
    else:
        why = f"not taken by the files after {item.attempts} attempts ({item.last_error})"
    log.warning(
        "email in: attachment %s of message %s expired (waiting since %s): %s",
        item.file_id,
        item.email_id,
        item.created_at.isoformat(),
        why,
    )
    entry = {"status": "expired", "file_id": None, "detail": f"given up on: {why}"[:500]}
    async with uow_factory() as uow:
        await repo.settle_attachment(uow.session, item, entry)
        await uow.commit()


async def keep_attachments(
    uow_factory: UnitOfWorkFactory,
    keep: FileKeep | None,
    limit: int,
    retry: rules.AttachmentRetry = DEFAULT_RETRY,
) -> int:
    """Hand up to ``limit`` pending attachments to the files (``shared.kept_files``), oldest
    first, each kept as a document of its interaction under its own id (kept once, however
    often it is handed over); returns how many were settled (kept, refused by the limits, or
    expired). One the files fail to take stays pending (its attempt and error counted), to be
    tried again after its back-off (``rules.next_attempt``); the files unreachable end the
    round. One waiting too long or tried too often (``rules.attachment_expired``; a held one
    whose message was not assigned in time too) expires first, whether or not the files
    answer (``keep`` None: no way to them, only that)."""
    async with uow_factory() as uow:
        now = uow.clock.now()
        pending = await repo.pending_attachments(uow.session, limit, now, now - retry.max_age)
    settled = 0
    for file_id in pending:  # one in memory at a time
        async with uow_factory() as uow:
            item = await repo.pending_attachment(uow.session, file_id)
            uow.session.expunge_all()  # read as it is (the unit of work's end keeps it so)
        if item is None:
            continue  # settled by another round
        if rules.attachment_expired(item.attempts, item.created_at, now, retry):
            await _expire(uow_factory, item)
            settled += 1
            continue
        if keep is None or item.interaction_id is None:
            continue  # no way to the files; held until its message is assigned
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
        except Exception as exc:  # retried after its back-off, or given up on
            log.warning("email in: attachment %s not kept yet: %r", item.file_id, exc)
            item.attempts, item.last_error = item.attempts + 1, repr(exc)[:500]
            if rules.attachment_expired(item.attempts, item.created_at, now, retry):
                await _expire(uow_factory, item)
                settled += 1
            else:
                async with uow_factory() as uow:
                    await repo.attachment_failed(
                        uow.session,
                        item.file_id,
                        item.last_error,
                        rules.next_attempt(item.attempts, now, retry),
                    )
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
