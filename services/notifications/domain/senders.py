"""Who a client-facing email comes from: the client's account manager (the staff replica's
name, job title and address), so the client reads their manager's signature and their
answer goes to them (Reply-To; a copy to them with ORBIT_NOTIFICATIONS_CC_MANAGER); without
a manager (none, or no longer active), Orbit's own sender (ORBIT_SMTP_FROM) and the
signature "your account team". Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any


@dataclass(frozen=True)
class Sender:
    """The account manager an email to their client comes from."""

    name: str
    title: str | None
    email: str


def signed(context: Mapping[str, Any], sender: Sender | None) -> dict[str, Any]:
    """A client template's context with its signature: ``manager`` (name and title), or None
    for the team's signature."""
    manager = None if sender is None else {"name": sender.name, "title": sender.title}
    return {**context, "manager": manager}


def headers_of(sender: Sender | None) -> dict[str, Any]:
    """What a delivery row keeps of the sender for its sending: the display name of its From
    and its Reply-To (None, None: Orbit's own)."""
    if sender is None:
        return {"sender_name": None, "reply_to": None}
    return {"sender_name": sender.name, "reply_to": sender.email}


def from_header(smtp_from: str, sender_name: str | None) -> str:
    """The From of an email: ORBIT_SMTP_FROM's address under the manager's name (the address
    stays Orbit's: the mail server is allowed to send as it), else ORBIT_SMTP_FROM itself."""
    name = " ".join((sender_name or "").split())  # a line break in a name splits no header
    if not name:
        return smtp_from
    try:
        return str(Address(display_name=name, addr_spec=parseaddr(smtp_from)[1]))
    except ValueError:  # an address it cannot put a name to: Orbit's own From
        return smtp_from
