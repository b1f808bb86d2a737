"""The scheduled reports' email: the HTML summary in the recipient's locale (Jinja2
templates, ``templates/report.<locale>.html``). It is built and sent like every email
(``services.notifications.emails.build_message``, ``services.notifications.smtp``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.notifications.emails import Attachment, build_message
from shared.exports import XLSX

PLAIN = "This report is HTML; open it in a mail client that shows HTML."
LOCALES = ("en", "ru")
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def locale_of(value: str | None) -> str:
    """``ru`` for a Russian locale (``ru``, ``ru-RU``...), else ``en``."""
    return "ru" if (value or "").lower().startswith("ru") else "en"


def render_html(locale: str, **context: Any) -> str:
    return TEMPLATES.get_template(f"report.{locale_of(locale)}.html").render(**context)


def message(
    *,
    report_id: uuid.UUID,
    sender: str,
    to: str,
    locale: str,
    subject: str,
    html: str,
    attachment_name: str,
    attachment: bytes,
    when: datetime,
) -> EmailMessage:
    """The report's email (its Message-ID from the report's id): a text line, the HTML and
    the workbook."""
    return build_message(
        sender=sender,
        to=to,
        subject=subject,
        text=PLAIN,
        html=html,
        delivery_id=report_id,
        language=locale,
        when=when,
        attachments=[Attachment(attachment_name, XLSX, attachment)],
    )
