"""Emails from templates: ``templates/<language>/<name>.j2`` holds three blocks, ``subject``,
``text`` and ``html`` (autoescaped), rendered with the same context; every template exists in
every language of ``domain.messages.LANGUAGES`` (a unit test checks it). The message itself is
a multipart/alternative ``EmailMessage`` (text first, HTML preferred by mail clients).

The scorecard's scheduled report is one HTML page per language
(``templates/scorecard/report.<language>.html``, its words in ``messages.json``), rendered
when the report is written; the workbook goes with it as an attachment."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifications.domain.attachments import calendar_method
from services.notifications.domain.messages import Language
from shared.mailrefs import message_id

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAMES = (
    "staff_alert",
    "payment_reminder",
    "meeting_minutes",
    "digest",
    "invoice_issued",
    "meeting_invitation",
    "greeting",
)
REPORT_TEMPLATES = TEMPLATES / "scorecard"
# The text part of a scheduled report (the report itself is the HTML and the workbook).
REPORT_PLAIN = "This report is HTML; open it in a mail client that shows HTML."
# The words of the scheduled report in each language.
REPORT_WORDS: dict[str, Any] = json.loads(
    (REPORT_TEMPLATES / "messages.json").read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,  # the html blocks turn it on themselves
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=1)
def _report_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(REPORT_TEMPLATES), autoescape=select_autoescape(["html"])
    )


def render_report(language: Language, **context: Any) -> str:
    """The scheduled report's HTML in ``language``."""
    return _report_environment().get_template(f"report.{language}.html").render(**context)


def render(name: str, language: Language, context: dict[str, Any]) -> RenderedEmail:
    """The three parts of template ``name`` in ``language``."""
    template = _environment().get_template(f"{language}/{name}.j2")

    def block(part: str) -> str:
        return "".join(template.blocks[part](template.new_context(dict(context)))).strip()

    subject = " ".join(block("subject").split())[:300]
    return RenderedEmail(subject=subject, text=block("text") + "\n", html=block("html"))


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    delivery_id: uuid.UUID,
    language: str | None,
    when: Any,
    attachments: Sequence[Attachment] = (),
    reply_to: str | None = None,
    cc: str | None = None,
    client_id: uuid.UUID | None = None,
) -> EmailMessage:
    """A multipart text + HTML message (with ``attachments``, if any); its Message-ID derives
    from the delivery id, so a message sent again after a crash is recognisable as the same
    one. ``reply_to``, ``cc``: the client's account manager, for an email to a client;
    ``client_id``: that client, named in the Message-ID (``shared.mailrefs``) so that a reply
    read from Orbit's mailbox is logged on it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    domain = sender.rsplit("@", 1)[-1].strip(">") or "orbit.local"
    message["Message-ID"] = (
        message_id(delivery_id, domain, client_id) if delivery_id else make_msgid()
    )
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    # An invitation is also the message's calendar alternative (text/calendar; method=...),
    # the part mail clients show with Accept / Decline, besides its .ics attachment.
    methods = {
        id(a): calendar_method(a.content) for a in attachments if a.content_type == "text/calendar"
    }
    for attachment in attachments:
        if id(attachment) in methods:
            params = {"method": methods[id(attachment)] or "PUBLISH"}
            message.add_alternative(
                attachment.content.decode("utf-8"), subtype="calendar", params=params
            )
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params={"method": methods[id(attachment)] or "PUBLISH", "charset": "utf-8"}
            if id(attachment) in methods
            else {},
        )
    # Last: set_content() drops, and making the message multipart moves, Content-* headers.
    if language:
        message["Content-Language"] = language
    return message
