"""/internal/v1/documents: the documents billing renders for the other services' emails
(``shared.documents``): the invoice PDF notifications attaches to the invoice and
payment-reminder emails, fetched when the email is sent.

Internal (left out of the OpenAPI document and of the gateway): a ``service`` (or admin)
token only; 404 when the invoice is unknown."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from services.billing.api.deps import RuntimeDep
from services.billing.api.pdf import invoice_document
from shared.auth import Caller, Role
from shared.deps import require_service
from shared.documents import Document, DocumentFetch, DocumentKind
from shared.errors import NotFound
from shared.readthrough import SERVICE_SUBJECT
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/internal/v1/documents", include_in_schema=False)
# The other services see every client's documents (the caller's scope is an admin's).
SERVICES = Caller(SERVICE_SUBJECT, Role.ADMIN)


def documents_fetch(runtime: ServiceRuntime) -> DocumentFetch:
    """The other services' fetch when they run in this process (``orbit run``)."""

    async def fetch(kind: DocumentKind, object_id: uuid.UUID) -> Document | None:
        try:
            return await invoice_document(runtime, SERVICES, object_id)
        except NotFound:
            return None

    return fetch


@router.get("/invoice_pdf/{invoice_id}")
async def invoice_pdf(invoice_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    await require_service(request, runtime)
    document = await invoice_document(runtime, SERVICES, invoice_id)
    return Response(
        document.content,
        media_type=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
    )
