"""Queries of email in: the messages taken in (one per mailbox and Message-ID), a message's
thread, how far a mailbox was read, and the clients an address is a contact of. Unscoped: the
mailbox worker acts for no caller (what it logs is scoped when read); a caller's list and
the message they assign are scoped (``scoped_emails``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.clients import in_scope
from services.interactions.store.models import (
    InboundEmail,
    MailboxState,
    PendingAttachment,
    Request,
)
from shared.auth import Caller, Role
from shared.pagination import paginate
from shared.store import one_or_404


async def seen(session: AsyncSession, mailbox: str, message_id: str) -> bool:
    """Whether the message was taken in already (the guard of "each message once")."""
    stmt = select(InboundEmail.id).where(
        InboundEmail.mailbox == mailbox, InboundEmail.message_id == message_id
    )
    return (await session.scalar(stmt)) is not None


async def message(session: AsyncSession, mailbox: str, message_id: str) -> InboundEmail:
    """The message taken in (it is: ``seen`` said so)."""
    stmt = select(InboundEmail).where(
        InboundEmail.mailbox == mailbox, InboundEmail.message_id == message_id
    )
    return (await session.scalars(stmt)).one()


async def thread_of(
    session: AsyncSession, mailbox: str, message_ids: Sequence[str]
) -> list[InboundEmail]:
    """The messages of ``message_ids`` taken in and logged on a client, in that order (the
    nearest of a thread first)."""
    if not message_ids:
        return []
    stmt = select(InboundEmail).where(
        InboundEmail.mailbox == mailbox,
        InboundEmail.message_id.in_(list(message_ids)),
        InboundEmail.client_id.is_not(None),
    )
    found = {row.message_id: row for row in await session.scalars(stmt)}
    return [found[m] for m in message_ids if m in found]


async def has_unanswered_request(
    session: AsyncSession, interaction_ids: Sequence[uuid.UUID]
) -> bool:
    """Whether one of ``interaction_ids`` opened a request still waiting for its first
    response (neither answered nor closed)."""
    if not interaction_ids:
        return False
    stmt = select(Request.id).where(
        Request.interaction_id.in_(list(interaction_ids)),
        Request.answered_at.is_(None),
        Request.status != "closed",
    )
    return (await session.scalar(stmt.limit(1))) is not None


def scoped_emails(
    caller: Caller, outcome: str | None = None, client_id: uuid.UUID | None = None
) -> Select[Any]:
    """The messages taken in (every mailbox) the caller may see: an admin every one; others
    those logged on their clients and (no owner yet, to assign them) every unmatched one —
    not the ignored ones, which are in no client's scope."""
    stmt = select(InboundEmail)
    if caller.role != Role.ADMIN:
        mine = InboundEmail.client_id.is_not(None) & in_scope(caller, InboundEmail.client_id)
        stmt = stmt.where(or_(InboundEmail.outcome == "unmatched", mine))
    if outcome is not None:
        stmt = stmt.where(InboundEmail.outcome == outcome)
    if client_id is not None:
        stmt = stmt.where(InboundEmail.client_id == client_id)
    return stmt


async def get_email(
    session: AsyncSession, caller: Caller, email_id: uuid.UUID, *, for_update: bool = False
) -> InboundEmail:
    stmt = scoped_emails(caller).where(InboundEmail.id == email_id)
    return await one_or_404(session, stmt, InboundEmail, "message", email_id, for_update=for_update)


async def emails_page(
    session: AsyncSession, stmt: Select[Any], *, limit: int, cursor: str | None
) -> tuple[list[InboundEmail], str | None]:
    """One page of ``stmt`` (``scoped_emails``), newest first: received_at, id."""
    return await paginate(
        session,
        stmt,
        [InboundEmail.received_at, InboundEmail.id],
        limit=limit,
        cursor=cursor,
        desc=True,
    )


async def mailbox_state(
    session: AsyncSession, mailbox: str, *, for_update: bool = False
) -> MailboxState | None:
    stmt = select(MailboxState).where(MailboxState.mailbox == mailbox)
    return await session.scalar(stmt.with_for_update() if for_update else stmt)


async def advance(
    session: AsyncSession, mailbox: str, uidvalidity: int, uid: int, now: datetime
) -> None:
    """Record ``uid`` read (in the transaction that took the message in)."""
    state = await mailbox_state(session, mailbox, for_update=True)
    if state is None:
        session.add(
            MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=uid, polled_at=now)
        )
        return
    if state.uidvalidity != uidvalidity:
        state.uidvalidity, state.last_uid = uidvalidity, uid
    else:
        state.last_uid = max(state.last_uid, uid)
    state.polled_at = now


async def pending_attachments(
    session: AsyncSession, limit: int, now: datetime, expired_before: datetime
) -> list[uuid.UUID]:
    """The (file ids of the) attachments to look at, oldest first: those waiting to be kept
    whose back-off is over by ``now``, and any (a held one too) waiting since before
    ``expired_before``, to be given up on."""
    due = PendingAttachment.interaction_id.is_not(None) & or_(
        PendingAttachment.retry_at.is_(None), PendingAttachment.retry_at <= now
    )
    stmt = (
        select(PendingAttachment.file_id)
        .where(or_(due, PendingAttachment.created_at <= expired_before))
        .order_by(PendingAttachment.created_at, PendingAttachment.file_id)
    )
    return list(await session.scalars(stmt.limit(limit)))


async def pending_attachment(session: AsyncSession, file_id: uuid.UUID) -> PendingAttachment | None:
    """One waiting attachment with its bytes (None: settled meanwhile)."""
    return await session.get(PendingAttachment, file_id)


async def attachment_failed(
    session: AsyncSession, file_id: uuid.UUID, why: str, retry_at: datetime
) -> None:
    """Count a failed hand-over of a pending attachment (it stays pending until ``retry_at``)."""
    await session.execute(
        update(PendingAttachment)
        .where(PendingAttachment.file_id == file_id)
        .values(attempts=PendingAttachment.attempts + 1, last_error=why[:500], retry_at=retry_at)
    )


async def release_held(
    session: AsyncSession, email_id: uuid.UUID, interaction_id: uuid.UUID, now: datetime
) -> set[int]:
    """The held attachments of a message just assigned, pending from ``now`` as documents of
    ``interaction_id``; returns their positions."""
    held = (PendingAttachment.email_id == email_id) & PendingAttachment.interaction_id.is_(None)
    positions = set(await session.scalars(select(PendingAttachment.position).where(held)))
    await session.execute(
        update(PendingAttachment).where(held).values(interaction_id=interaction_id, created_at=now)
    )
    return positions


async def settle_attachment(
    session: AsyncSession,
    pending: PendingAttachment,
    entry: dict[str, Any],
) -> None:
    """Record what became of a pending attachment (``entry``, its new place in the message's
    list) and forget its bytes; nothing when another round settled it already, or its
    message was assigned since it was read (a held one waits anew: ``release_held``)."""
    gone = await session.execute(
        delete(PendingAttachment).where(
            PendingAttachment.file_id == pending.file_id,
            PendingAttachment.created_at == pending.created_at,
        )
    )
    if not getattr(gone, "rowcount", 0):
        return
    stmt = select(InboundEmail).where(InboundEmail.id == pending.email_id).with_for_update()
    email = (await session.scalars(stmt)).one()
    attachments = [dict(a) for a in email.attachments]
    attachments[pending.position] = {**attachments[pending.position], **entry}
    email.attachments = attachments
