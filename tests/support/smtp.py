"""A real SMTP server on loopback for tests (aiosmtpd): it keeps every message it accepts,
with the envelope's recipients and the raw bytes, and refuses the recipients of ``refuse``."""

from __future__ import annotations

import email
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session


@dataclass(frozen=True)
class Received:
    """One accepted message as the server saw it."""

    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage


class Inbox:
    """An aiosmtpd handler keeping every message; ``refuse`` answers RCPT with a 550."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.received: list[Received] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message: EmailMessage = email.message_from_bytes(raw, policy=default)  # type: ignore[assignment]
        self.messages.append(message)
        self.received.append(Received(tuple(envelope.rcpt_tos), raw, message))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def parts(message: EmailMessage) -> dict[str, str]:
    """The text parts of a multipart message by content type (those of its alternative, when
    it has attachments besides; the attachments left out)."""
    return {
        p.get_content_type(): p.get_content()  # type: ignore[attr-defined]
        for p in message.walk()
        if p.get_content_maintype() == "text" and not p.is_attachment()
    }
