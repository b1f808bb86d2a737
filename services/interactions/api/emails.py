"""/api/v1/integrations/emails: the messages email in read from the mailbox (admins)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.interactions.api.deps import CallerDep, RuntimeDep
from services.interactions.api.presenters import inbound_email_out
from services.interactions.api.schemas import InboundEmailOut
from services.interactions.domain.mail import MailOutcome
from services.interactions.store import mail as repo
from shared.auth import Role
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/integrations/emails", tags=["email in"])


@router.get("", response_model=Page[InboundEmailOut], operation_id="listInboundEmails")
async def list_inbound_emails(
    caller: CallerDep,
    runtime: RuntimeDep,
    outcome: MailOutcome | None = None,
    client_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[InboundEmailOut]:
    """Every message read from the mailbox (admins), newest first, and what became of it:
    ``logged`` on ``client_id`` as ``interaction_id``, ``unmatched`` (from no one Orbit
    knows, or a contact of several clients) or ``ignored`` (automatic mail); its thread
    (``message_id``, ``in_reply_to``, ``references``) and its attachments' names and sizes."""
    caller.require(Role.ADMIN)
    stmt = repo.filtered_emails(outcome, client_id)
    async with runtime.reads() as session:
        items, next_cursor = await repo.emails_page(session, stmt, limit=limit, cursor=cursor)
    return page_of(items, next_cursor, inbound_email_out)
