"""The documents billing renders for the other services' emails (shared/documents.py): the
invoice PDF at ``/internal/v1/documents/invoice_pdf/{id}`` for a service token only, and the
same document through the in-process fetch ``orbit run`` links."""

from __future__ import annotations

import uuid

from services.billing.api.documents import documents_fetch
from shared.readthrough import SERVICE_SUBJECT
from tests.integration.billing.helpers import Api, as_
from tests.support.apps import auth


async def test_the_invoice_pdf_for_services_only(api: Api) -> None:
    manager = await api.staff("Mia")
    client = await api.client("Initech", manager)
    invoice = await api.invoice(client, issue={})
    path = f"/internal/v1/documents/invoice_pdf/{invoice['id']}"
    assert (await api.http.get(path)).status_code == 401
    assert (await api.http.get(path, headers=as_(manager))).status_code == 403
    service = auth(SERVICE_SUBJECT, "service")
    response = await api.http.get(path, headers=service)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="invoice-2026-000001.pdf"' in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")
    unknown = await api.http.get(
        f"/internal/v1/documents/invoice_pdf/{uuid.uuid4()}", headers=service
    )
    assert unknown.status_code == 404

    fetch = documents_fetch(api.runtime)
    document = await fetch("invoice_pdf", uuid.UUID(invoice["id"]))
    assert document is not None and document.filename == "invoice-2026-000001.pdf"
    assert document.content.startswith(b"%PDF-")
    assert await fetch("invoice_pdf", uuid.uuid4()) is None
