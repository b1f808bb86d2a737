"""The documents: a client's legal and bank details (PUT/GET), printed with the seller's
(the settings) on the invoice PDF and on the certificate of completed work (акт выполненных
работ) of a paid invoice, in Russian or English; the text read back from the PDFs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.billing.app import create_app
from services.billing.settings import BillingSettings
from shared.clock import FixedClock
from tests.integration.billing.helpers import NOW, Api, billing_settings
from tests.support.apps import ADMIN, running, runtime_of
from tests.support.pdf_text import pdf_text

SELLER = {
    "billing_seller_name": "ООО Орбита",  # noqa: RUF001
    "billing_seller_tax_id": "7701234567",
    "billing_seller_registration_code": "770101001",
    "billing_seller_bank_name": "АО Банк",  # noqa: RUF001
    "billing_seller_bank_account": "40702810900000000001",
    "billing_seller_bank_code": "044525225",
}
CLIENT = {
    "legal_name": "ООО Ромашка",  # noqa: RUF001
    "tax_id": "7705555555",
    "registration_code": "770501001",
    "address": "Москва, ул. Ленина, 1",
    "bank_name": "ПАО Сбербанк",
    "bank_account": "40702810000000000002",
    "bank_code": "044525999",
}


@pytest.fixture
async def docs_api(any_db_url: str) -> AsyncIterator[Api]:
    clock = FixedClock(NOW)
    settings = BillingSettings(**billing_settings(any_db_url).model_dump(), **SELLER)
    app = create_app(settings, clock=clock, migrate_on_start=True)
    async with running(app) as http:
        yield Api(http, runtime_of(app, "billing"), clock)


async def _pdf(api: Api, path: str, **params: str) -> str:
    response = await api.http.get(path, params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return pdf_text(response.content)


async def test_details_on_the_invoice_and_the_certificate_of_a_paid_invoice(
    docs_api: Api,
) -> None:
    api = docs_api
    client = await api.client("Romashka", None)
    path = f"/api/v1/clients/{client}/billing-details"
    empty = (await api.http.get(path, headers=ADMIN)).json()
    assert (empty["legal_name"], empty["updated_at"]) == (None, None)
    saved = await api.http.put(path, json=CLIENT, headers=ADMIN)
    assert saved.status_code == 200 and saved.json()["tax_id"] == CLIENT["tax_id"]
    line = {"description": "Консалтинг", "quantity": "2", "unit_price": "500", "tax_rate": "0.2"}
    invoice = await api.invoice(client, [line], currency="RUB", issue={})
    unpaid = await api.http.get(f"/api/v1/invoices/{invoice['id']}/act.pdf", headers=ADMIN)
    assert unpaid.status_code == 409

    text = await _pdf(api, f"/api/v1/invoices/{invoice['id']}/pdf")
    for expected in (
        "ООО Орбита",  # noqa: RUF001
        "7701234567",
        "40702810900000000001",
        "ООО Ромашка",  # noqa: RUF001
        "7705555555",
    ):
        assert expected in text, expected

    body = {"client_id": client, "amount": "1200.00", "currency": "RUB"}
    await api.post("/api/v1/payments", body, expect=201)
    act = f"/api/v1/invoices/{invoice['id']}/act.pdf"
    russian = await _pdf(api, act, lang="ru")
    number, today = invoice["number"], NOW.date()
    for expected in (
        f"Акт выполненных работ № {number} от {today}",
        "ИНН: 7701234567",
        "КПП: 770101001",
        "БИК: 044525225",
        "ООО Ромашка",  # noqa: RUF001
        "ИНН: 7705555555",
        "Консалтинг",
        "1000.00",
        "1200.00 RUB",
    ):
        assert expected in russian, expected
    english = await _pdf(api, act, lang="en")
    assert f"Certificate of completed work No. {number} of {today}" in english
    assert "Tax ID: 7705555555" in english
    # without ?lang=: the client's documents' language
    assert "Certificate of completed work" in await _pdf(api, act)
    await api.http.put(path, json={**CLIENT, "language": "ru"}, headers=ADMIN)
    assert "Акт выполненных работ" in await _pdf(api, act)
    bad = await api.http.get(act, params={"lang": "de"}, headers=ADMIN)
    assert bad.status_code == 422
