"""/api/v1/integrations/emails: the messages email in took in, the unmatched ones a manager
assigns, and the inbound webhook of an email provider (Postmark's format) as a second way in
besides the mailbox."""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.interactions.api.deps import CallerDep, RuntimeDep, SettingsDep
from services.interactions.api.presenters import inbound_email_out
from services.interactions.api.schemas import (
    EmailAssignIn,
    InboundEmailOut,
    PostmarkAttachment,
    PostmarkInboundIn,
)
from services.interactions.domain.mail import Attachment, MailOutcome, provider_mail
from services.interactions.handlers import mail as handlers
from services.interactions.handlers.interactions import WRITERS
from services.interactions.settings import InteractionsSettings
from services.interactions.store import mail as repo
from shared.commands import run_command
from shared.errors import PROBLEM_JSON, NotFound
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/integrations/emails", tags=["email in"])
POSTMARK = "postmark"  # the "mailbox" of the messages the webhook posts
# Postmark's inbound messages are at most 35 MB; in base64 and JSON, about 4/3 of that.
POSTMARK_MAX_BYTES = 50 * 1024 * 1024


@router.get("", response_model=Page[InboundEmailOut], operation_id="listInboundEmails")
async def list_inbound_emails(
    caller: CallerDep,
    runtime: RuntimeDep,
    outcome: MailOutcome | None = None,
    client_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[InboundEmailOut]:
    """The messages read from the mailbox (or posted by the provider's webhook), newest
    first, and what became of them: ``logged`` on ``client_id`` as ``interaction_id``,
    ``unmatched`` (from no one Orbit knows, or a contact of several clients: assign it,
    ``POST /api/v1/integrations/emails/{id}/assign``) or ``ignored`` (automatic mail); its
    thread (``message_id``, ``in_reply_to``, ``references``) and its attachments' names, types
    and sizes, each with what became of it (``status``): ``kept`` as the document ``file_id``
    of the interaction (``GET /api/v1/files/{file_id}``), ``pending`` (the files not reached
    yet), ``held`` (the message unmatched: kept once it is assigned), refused by the files'
    limits (``too_large``, ``type``, ``empty``), ``expired`` (not taken by the files within
    the attempts or the age allowed) or ``not_kept``. An admin sees every message; a manager
    or head those logged on their clients and every unmatched one (no client owns it yet,
    as with unmatched calls); ignored mail is the admins' alone."""
    caller.require(*WRITERS)
    stmt = repo.scoped_emails(caller, outcome, client_id)
    async with runtime.reads() as session:
        items, next_cursor = await repo.emails_page(session, stmt, limit=limit, cursor=cursor)
    return page_of(items, next_cursor, inbound_email_out)


@router.post(
    "/{email_id}/assign", response_model=InboundEmailOut, operation_id="assignInboundEmail"
)
async def assign_inbound_email(
    email_id: uuid.UUID,
    body: EmailAssignIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
) -> JSONResponse:
    """An unmatched message is this client's (and contact's; without ``contact_id``, the
    client's contact whose address sent it): logged on it as a matched message would have
    been (an inbound ``email`` interaction opening a request by the same rule; later mail of
    its thread follows it), its held attachments then kept as the interaction's documents.
    404 for a message or client out of the caller's scope, 409 for a message not unmatched
    (assigned already, or ignored)."""
    answer = await run_command(
        runtime.uow,
        lambda uow: handlers.assign_email(uow, caller, email_id, body, settings),
        inbound_email_out,
        caller_id=caller.id,
    )
    _wake_keeper(runtime)
    return answer


CONCURRENT_DELIVERY = {
    409: {
        "description": "The same message is being taken in by another delivery at this moment "
        "(the provider retries)",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}


@router.post(
    "/postmark/{token}",
    response_model=InboundEmailOut,
    operation_id="receivePostmarkEmail",
    responses=CONCURRENT_DELIVERY,  # type: ignore[arg-type]
)
async def receive_postmark_email(
    token: str, body: PostmarkInboundIn, runtime: RuntimeDep, settings: SettingsDep
) -> JSONResponse:
    """Postmark's inbound webhook (no bearer token: the secret in the URL,
    ``ORBIT_INTERACTIONS_INBOUND_EMAIL_TOKEN``, is the credential; unset or wrong: 404). The
    message is taken in as one read from the mailbox (docs/api.md, "Email in"), once: a
    retry answers 200 with the message as it was taken in."""
    expected = settings.interactions_inbound_email_token
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise NotFound("no such inbound email webhook")
    mail = provider_mail(
        provider="postmark",
        provider_id=body.message_id,
        sender=body.sender,
        subject=body.subject,
        date=body.date,
        text=body.text_body,
        html_text=body.html_body,
        headers=[(h.name, h.value) for h in body.headers],
        attachments=tuple(_attachment(a) for a in body.attachments),
    )
    answer = await run_command(
        runtime.uow,
        lambda uow: handlers.receive(uow, POSTMARK, mail, settings),
        inbound_email_out,
        caller_id=POSTMARK,
    )
    if any(a.content is not None for a in body.attachments):
        _wake_keeper(runtime)
    return answer


def _wake_keeper(runtime: Any) -> None:
    """Attachments to hand to the files now (workers.py: AttachmentKeeper)."""
    keeper = getattr(runtime, "attachment_keeper", None)
    if keeper is not None:
        keeper.wake()


def _attachment(attachment: PostmarkAttachment) -> Attachment:
    data = attachment.data()
    size = attachment.content_length if data is None else len(data)
    return Attachment(attachment.name, attachment.content_type, size, data)


def body_limits(settings: InteractionsSettings) -> dict[str, int]:
    """``ServiceSpec.body_limits``: the webhook's body (its path names the secret) is a
    message with its attachments in base64, up to Postmark's 35 MB."""
    token = settings.interactions_inbound_email_token
    return {f"{router.prefix}/postmark/{token}": POSTMARK_MAX_BYTES} if token else {}
