"""The documents client emails carry (the invoice PDF, fetched when sent) and attachment
content types."""

from __future__ import annotations

import uuid

from services.notifications.domain.attachments import content_type_of, document_of, parse_document


def test_invoice_emails_carry_the_invoice_pdf() -> None:
    invoice = uuid.uuid4()
    for template in ("invoice_issued", "payment_reminder"):
        assert document_of(template, {"invoice_id": str(invoice)}) == f"invoice_pdf:{invoice}"
    assert document_of("meeting_minutes", {"invoice_id": str(invoice)}) is None
    assert document_of("payment_reminder", {}) is None
    assert parse_document(f"invoice_pdf:{invoice}") == ("invoice_pdf", invoice)
    assert parse_document("invoice_pdf:not-an-id") is None
    assert parse_document(f"contract_pdf:{invoice}") is None


def test_content_types() -> None:
    assert content_type_of("invoice-2026-000001.pdf") == "application/pdf"
    assert content_type_of("invite.ICS") == "text/calendar"
    assert content_type_of("scorecard-week-2026-W48.xlsx").endswith("spreadsheetml.sheet")
    assert content_type_of("README") == "application/octet-stream"


def test_every_client_email_names_the_entity_an_unsent_notice_is_about() -> None:
    from services.notifications.domain.dispatch import UNSENT_ENTITY
    from services.notifications.domain.rules import CLIENT_TEMPLATES

    assert set(UNSENT_ENTITY) == set(CLIENT_TEMPLATES.values())
