"""/api/v1/integrations/emails: the messages email in took in (admins), and the inbound
webhook of an email provider (Postmark's format) as a second way in besides the mailbox."""

from __future__ import annotations

import hmac
import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.interactions.api.deps import CallerDep, RuntimeDep, SettingsDep
from services.interactions.api.presenters import inbound_email_out
from services.interactions.api.schemas import (
    InboundEmailOut,
    PostmarkAttachment,
    PostmarkInboundIn,
)
from services.interactions.domain.mail import Attachment, MailOutcome, provider_mail
from services.interactions.handlers import mail as handlers
from services.interactions.settings import InteractionsSettings
from services.interactions.store import mail as repo
from shared.auth import Role
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
    """Every message read from the mailbox (admins), newest first, and what became of it:
    ``logged`` on ``client_id`` as ``interaction_id``, ``unmatched`` (from no one Orbit
    knows, or a contact of several clients) or ``ignored`` (automatic mail); its thread
    (``message_id``, ``in_reply_to``, ``references``) and its attachments' names, types and
    sizes, each with what became of it (``status``): ``kept`` as the document ``file_id`` of
    the interaction (``GET /api/v1/files/{file_id}``), ``pending`` (the files not reached
    yet), refused by the files' limits (``too_large``, ``type``, ``empty``) or ``not_kept``
    (the mail was logged on no interaction)."""
    caller.require(Role.ADMIN)
    stmt = repo.filtered_emails(outcome, client_id)
    async with runtime.reads() as session:
        items, next_cursor = await repo.emails_page(session, stmt, limit=limit, cursor=cursor)
    return page_of(items, next_cursor, inbound_email_out)


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
    keeper = getattr(runtime, "attachment_keeper", None)
    if keeper is not None and any(a.content is not None for a in body.attachments):
        keeper.wake()  # its attachments to the files now (workers.py: AttachmentKeeper)
    return answer


def _attachment(attachment: PostmarkAttachment) -> Attachment:
    data = attachment.data()
    size = attachment.content_length if data is None else len(data)
    return Attachment(attachment.name, attachment.content_type, size, data)


def body_limits(settings: InteractionsSettings) -> dict[str, int]:
    """``ServiceSpec.body_limits``: the webhook's body (its path names the secret) is a
    message with its attachments in base64, up to Postmark's 35 MB."""
    token = settings.interactions_inbound_email_token
    return {f"{router.prefix}/postmark/{token}": POSTMARK_MAX_BYTES} if token else {}
