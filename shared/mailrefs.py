"""The Message-ID of an email Orbit sends, and the client a reply to it is about.

notifications writes ``<{delivery_id}@{domain}>`` (the same id when a delivery is sent again),
and for an email to a client's contacts ``<{delivery_id}.client.{client_id}@{domain}>``;
interactions reads the client back from a reply's ``In-Reply-To`` / ``References`` (email in).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CLIENT_REF = re.compile(rf"<({_UUID})\.client\.({_UUID})@[^>\s]+>", re.IGNORECASE)


def message_id(delivery_id: uuid.UUID, domain: str, client_id: uuid.UUID | None = None) -> str:
    """The Message-ID of a delivery's email; naming ``client_id`` when sent to a client."""
    if client_id is None:
        return f"<{delivery_id}@{domain}>"
    return f"<{delivery_id}.client.{client_id}@{domain}>"


def referenced_client(message_ids: Iterable[str]) -> uuid.UUID | None:
    """The client of the latest Orbit email to a client among ``message_ids`` (a reply's
    ``In-Reply-To`` first, then its ``References`` newest first), or None."""
    for value in message_ids:
        found = _CLIENT_REF.search(value)
        if found:
            return uuid.UUID(found.group(2))
    return None
