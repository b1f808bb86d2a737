"""Rules of email in: what an inbound message says (parsed with the standard library's
``email``), which thread it belongs to, whether it is automatic, and whether it expects an
answer (opens a request)."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from typing import Literal, get_args

# Who logged an interaction taken in from the mailbox (no member of staff did).
MAILBOX_AUTHOR = uuid.UUID("00000000-0000-4000-8000-00000000e1a1")

# What became of a message: logged on a client, from no one Orbit knows, or automatic mail.
MailOutcome = Literal["logged", "unmatched", "ignored"]
MAIL_OUTCOMES: tuple[MailOutcome, ...] = get_args(MailOutcome)

SUBJECT_MAX = 500
TEXT_MAX = 20_000  # the interaction's summary: the text body, cut here
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_TAGS = re.compile(r"<[^>]*>")
# the headers of a provider's message email in reads
_PROVIDER_HEADERS = frozenset(
    ("message-id", "in-reply-to", "references", "auto-submitted", "precedence", "list-id")
)


# What became of an attachment: kept as a document of the interaction (``file_id``), waiting
# to be handed to the files (``pending``), held with an unmatched message until a manager
# assigns it (``held``), refused by the files' limits (``too_large``, ``type``, ``empty``),
# given up on (``expired``: the files did not take it within the attempts or the age
# allowed, ``attachment_expired``), or not kept (the mail was ignored, came without its
# content, or was taken in before attachments were kept).
AttachmentStatus = Literal[
    "kept", "pending", "held", "too_large", "type", "empty", "expired", "not_kept"
]
ATTACHMENT_STATUSES: tuple[AttachmentStatus, ...] = get_args(AttachmentStatus)
# The namespace of the attachments' file ids (uuid5 of the message's id and the position).
_ATTACHMENT_FILES = uuid.UUID("6f1d3c2a-5b7e-4c9d-8a1f-0e2d4c6b8a13")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    # Its bytes (None when the message did not carry them); never stored with the message.
    content: bytes | None = field(default=None, repr=False, compare=False)


def attachment_file_id(email_id: uuid.UUID, position: int) -> uuid.UUID:
    """The id of the document an attachment is kept as: the same for the same message and
    position, so handing it over again keeps it once."""
    return uuid.uuid5(_ATTACHMENT_FILES, f"{email_id}/{position}")


def attachment_status(attachment: Attachment, outcome: MailOutcome) -> AttachmentStatus:
    """Kept (``pending`` until the files have it) when the mail was logged on an interaction
    and the attachment came with its bytes; ``held`` with an unmatched message (kept once a
    manager assigns it to a client, ``handlers.mail.assign_email``); ignored mail keeps no
    attachment: it stays where it came from (the mailbox, the provider)."""
    if attachment.content is None or outcome == "ignored":
        return "not_kept"
    return "pending" if outcome == "logged" else "held"


@dataclass(frozen=True)
class AttachmentRetry:
    """How long an attachment waits for the files: at most ``max_attempts`` hand-overs that
    failed, and no longer than ``max_age`` since it began to wait (taken in, or its message
    assigned; a ``held`` one: since its message was taken in). Between two attempts, a
    delay doubling from ``first_delay`` up to ``max_delay``."""

    max_attempts: int
    max_age: timedelta
    first_delay: timedelta
    max_delay: timedelta = timedelta(hours=6)


def attachment_expired(
    attempts: int, waiting_since: datetime, now: datetime, retry: AttachmentRetry
) -> bool:
    """Whether a waiting attachment is given up on (``expired``: not tried again, its bytes
    dropped): ``attempts`` failed hand-overs reached the cap, or it has waited ``max_age``."""
    return attempts >= retry.max_attempts or now - waiting_since >= retry.max_age


def next_attempt(attempts: int, now: datetime, retry: AttachmentRetry) -> datetime:
    """When an attachment whose ``attempts``-th hand-over failed ``now`` is tried again: after
    ``first_delay`` doubled for each failure before it, at most ``max_delay``."""
    exponent = min(max(attempts - 1, 0), 32)  # 2**32 times any delay is past any cap
    return now + min(retry.first_delay * (2**exponent), retry.max_delay)


def attachment_entry(
    attachment: Attachment, status: AttachmentStatus, file_id: uuid.UUID | None = None
) -> dict[str, str | int | None]:
    """An attachment as the message's record lists it (its content left out)."""
    return {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "status": status,
        "file_id": None if file_id is None else str(file_id),
    }


@dataclass(frozen=True)
class InboundMail:
    message_id: str
    sender: str  # the From address, lower-case ('' when there is none)
    subject: str
    text: str
    sent_at: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    automatic: bool
    attachments: tuple[Attachment, ...]

    def thread(self) -> list[str]:
        """The messages this one answers, nearest first: ``In-Reply-To``, then
        ``References`` from the newest."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return [*ids, *(r for r in reversed(self.references) if r not in ids)]


def _header(message: EmailMessage, name: str, default: str = "") -> str:
    """A header's text; its raw text when the parser cannot read it (``Message-ID: <>``)."""
    try:
        value = message.get(name)
    except (IndexError, ValueError, TypeError, AttributeError):
        wanted = name.lower()
        value = next((v for k, v in message.raw_items() if k.lower() == wanted), None)
    return default if value is None else str(value)


def _ids(value: object) -> list[str]:
    return _MESSAGE_ID.findall(str(value or ""))


def is_automatic(message: EmailMessage) -> bool:
    """Mail no person wrote: ``Auto-Submitted`` other than ``no`` (RFC 3834: out-of-office
    replies, notifications), ``Precedence: bulk|list|junk``, a mailing list or a bounce."""
    auto = _header(message, "Auto-Submitted", "no").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return (
        auto != "no"
        or precedence in ("bulk", "list", "junk")
        or "List-Id" in message
        or message.get_content_type() == "multipart/report"
    )


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = str(body.get_content())
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if body.get_content_type() == "text/html":
        content = html.unescape(_TAGS.sub(" ", content))
    return content.strip()[:TEXT_MAX]


def _attachments(message: EmailMessage) -> tuple[Attachment, ...]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        found.append(
            Attachment(
                filename=str(part.get_filename() or "unnamed"),
                content_type=part.get_content_type(),
                size=len(payload) if isinstance(payload, bytes) else 0,
                content=payload if isinstance(payload, bytes) else None,
            )
        )
    return tuple(found)


def _sent_at(value: object) -> datetime | None:
    try:
        sent = parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None
    if sent is None:
        return None
    return sent.replace(tzinfo=UTC) if sent.tzinfo is None else sent.astimezone(UTC)


def parse_mail(raw: bytes, fallback_id: str) -> InboundMail:
    """The parts of a raw RFC 5322 message Orbit keeps; ``fallback_id`` stands for a missing
    ``Message-ID`` (derived from where the message is, so it is the same at every read)."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    senders = getaddresses([_header(message, "From")])
    ids = _ids(_header(message, "Message-ID"))
    reply_to = _ids(_header(message, "In-Reply-To"))
    subject = " ".join(_header(message, "Subject").split())
    return InboundMail(
        message_id=ids[0] if ids else fallback_id,
        sender=senders[0][1].strip().lower() if senders else "",
        subject=subject[:SUBJECT_MAX],
        text=_text(message),
        sent_at=_sent_at(_header(message, "Date")),
        in_reply_to=reply_to[0] if reply_to else None,
        references=tuple(_ids(_header(message, "References"))),
        automatic=is_automatic(message),
        attachments=_attachments(message),
    )


def provider_mail(
    *,
    provider: str,
    provider_id: str,
    sender: str,
    subject: str,
    date: str,
    text: str,
    html_text: str,
    headers: list[tuple[str, str]],
    attachments: tuple[Attachment, ...],
) -> InboundMail:
    """A message an email provider's inbound webhook posted, parsed already (Postmark): its
    headers as (name, value) pairs; without a ``Message-ID`` header, the provider's id of it
    stands for one."""
    message = EmailMessage()
    for name, value in headers:
        if name.lower() in _PROVIDER_HEADERS:
            try:
                message[name] = value
            except (ValueError, TypeError, IndexError):
                continue  # a header the parser refuses: as if absent
    ids = _ids(_header(message, "Message-ID"))
    reply_to = _ids(_header(message, "In-Reply-To"))
    senders = getaddresses([sender])
    body = text.strip() or html.unescape(_TAGS.sub(" ", html_text)).strip()
    return InboundMail(
        message_id=ids[0] if ids else f"<{provider_id}@{provider}.inbound>",
        sender=senders[0][1].strip().lower() if senders else "",
        subject=" ".join(subject.split())[:SUBJECT_MAX],
        text=body[:TEXT_MAX],
        sent_at=_sent_at(date),
        in_reply_to=reply_to[0] if reply_to else None,
        references=tuple(_ids(_header(message, "References"))),
        automatic=is_automatic(message),
        attachments=attachments,
    )


def unreadable(fallback_id: str) -> InboundMail:
    """What stands for a message the parser gives up on: kept (``unmatched``, subject
    "(unreadable message)") so that the mailbox moves past it."""
    return InboundMail(fallback_id, "", "(unreadable message)", "", None, None, (), False, ())


def occurred_at(mail: InboundMail, received: datetime) -> datetime:
    """When the email happened: its ``Date``, but never after it was read (a sender's clock
    ahead) and, without one, when it was read."""
    return min(mail.sent_at or received, received)


def outcome(mail: InboundMail, *, matched: bool, in_thread: bool) -> MailOutcome:
    """Automatic mail is ``ignored`` unless it continues a thread taken in (an out-of-office
    reply to Orbit's own email is not news); a person's mail is ``logged`` on the client it
    was matched to, or kept ``unmatched``."""
    if mail.automatic and not in_thread:
        return "ignored"
    return "logged" if matched else "unmatched"


def opens_request(
    mail: InboundMail,
    *,
    enabled: bool,
    thread_has_open_request: bool,
    received: datetime,
    max_age: timedelta,
) -> bool:
    """A mail from a client expects an answer (opens a request, its SLA running) unless the
    rule is off (``ORBIT_INTERACTIONS_EMAIL_OPENS_REQUEST``), the mail is automatic, it
    continues a thread whose request is still unanswered (the thread has its request), or it
    was sent more than ``max_age`` before it was read (a mailbox's history, read when it is
    first connected, is logged, not turned into a storm of breached requests)."""
    if not enabled or mail.automatic or thread_has_open_request:
        return False
    return received - occurred_at(mail, received) <= max_age
