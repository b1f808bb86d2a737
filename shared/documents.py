"""Documents one service renders for another's emails: the invoice PDF billing renders, which
notifications attaches to the invoice and payment-reminder emails.

They are fetched when the email is sent (the delivery worker), never while an event is
consumed or a request answered, so the services stay independent at request time: a renderer
that cannot answer holds up only the emails waiting for its document, retried like any
delivery whose receiver is down (:class:`DocumentUnavailable`), and the document is the
current one (an invoice paid meanwhile shows it).

The renderer is the service's runtime in this process (``orbit run``: ``ServiceSpec.documents``,
linked by ``shared.app``) or its internal endpoint ``/internal/v1/documents/...`` at
``ORBIT_BILLING_URL`` (``orbit serve``: :func:`http_documents`, with a ``service`` token as for
the read-through, ``ORBIT_OWNER_TIMEOUT_SECONDS``)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from shared.readthrough import InternalClient
from shared.settings import OrbitSettings

log = logging.getLogger("orbit.documents")

DocumentKind = Literal["invoice_pdf"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("invoice_pdf",)
# The internal endpoints of the renderers (services/billing/api/documents.py).
DOCUMENT_PATHS: dict[DocumentKind, str] = {"invoice_pdf": "/internal/v1/documents/invoice_pdf/{id}"}
PDF = "application/pdf"


@dataclass(frozen=True)
class Document:
    filename: str
    content_type: str
    content: bytes


class DocumentUnavailable(Exception):
    """The renderer did not answer (unreachable, timed out, failing): try again later."""


# The document ``kind`` of object ``id``; None when the renderer does not know the object.
DocumentFetch = Callable[[DocumentKind, uuid.UUID], Awaitable[Document | None]]

_FILENAME = re.compile(r'filename="([^"]+)"')


def http_documents(
    settings: OrbitSettings,
) -> tuple[DocumentFetch, Callable[[], Awaitable[None]]]:
    """The fetch from the billing service at ``ORBIT_BILLING_URL``, and its closing."""
    assert settings.billing_url
    client = InternalClient(settings, settings.billing_url)

    async def fetch(kind: DocumentKind, object_id: uuid.UUID) -> Document | None:
        response = await client.get(
            DOCUMENT_PATHS[kind].format(id=object_id),
            lambda why: DocumentUnavailable(f"{kind} {object_id}: {why}"),
        )
        if response is None:
            return None
        found = _FILENAME.search(response.headers.get("content-disposition", ""))
        return Document(
            found.group(1) if found else f"{object_id}.pdf",
            response.headers.get("content-type", PDF).split(";")[0],
            response.content,
        )

    return fetch, client.aclose
