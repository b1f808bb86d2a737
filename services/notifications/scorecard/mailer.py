"""The scheduled reports' email: the HTML summary in the recipient's locale (Jinja2
templates, ``templates/report.<locale>.html``) and the sending over SMTP (aiosmtplib) to
``ORBIT_SMTP_URL`` (``smtp://[user:password@]host[:port]``; ``smtps://`` for implicit TLS,
``?starttls=1`` to upgrade)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, select_autoescape

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
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
    *, sender: str, to: str, subject: str, html: str, attachment_name: str, attachment: bytes
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail.set_content("This report is HTML; open it in a mail client that shows HTML.")
    mail.add_alternative(html, subtype="html")
    maintype, subtype = XLSX.split("/")
    mail.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=attachment_name)
    return mail


async def send(mail: EmailMessage, smtp_url: str, *, timeout_seconds: float) -> None:
    """Send ``mail`` through the SMTP server of ``smtp_url``; raises on any failure."""
    url = urlsplit(smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise ValueError(f"ORBIT_SMTP_URL must be smtp:// or smtps://, not {url.scheme!r}")
    query = parse_qs(url.query)
    await aiosmtplib.send(
        mail,
        hostname=url.hostname or "localhost",
        port=url.port or (465 if url.scheme == "smtps" else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=url.scheme == "smtps",
        start_tls=query.get("starttls") == ["1"],
        timeout=timeout_seconds,
    )
