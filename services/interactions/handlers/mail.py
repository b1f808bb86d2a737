"""Email in: a message read from Orbit's mailbox becomes an inbound ``email`` interaction.

Which client: the one an Orbit email it replies to names (``shared.mailrefs``: its
``In-Reply-To`` / ``References``), else the client of an earlier message of its thread taken
in, else the one client whose contact sent it. None: kept as ``unmatched``; what is logged
and what opens a request: ``domain.mail.outcome`` and ``domain.mail.opens_request``.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import timedelta

from services.interactions.commands import InteractionIn
from services.interactions.domain import mail as rules
from services.interactions.handlers.interactions import log_interaction
from services.interactions.settings import InteractionsSettings
from services.interactions.store import mail as repo
from services.interactions.store.models import InboundEmail
from shared.auth import Caller, Role
from shared.errors import NotFound
from shared.mailrefs import referenced_client
from shared.replicas import ClientView, clients_with_contact, contact_with, lock_client
from shared.uow import UnitOfWork

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
        attachments=[asdict(a) for a in mail.attachments],
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
    uow.session.add(record)
    await uow.session.flush()
    return record


async def receive(
    uow: UnitOfWork, mailbox: str, mail: rules.InboundMail, settings: InteractionsSettings
) -> InboundEmail:
    """A message an email provider's webhook posted: taken in once; a retry (the provider
    sends again until it sees a 2xx) answers with the message as it was taken in."""
    taken = await take_in(uow, mailbox, None, mail, settings)
    return taken or await repo.message(uow.session, mailbox, mail.message_id)
