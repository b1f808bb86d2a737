"""The documents' parties and language, and which invoices are certified."""

from __future__ import annotations

import pytest

from services.billing.domain.documents import (
    NotCertifiable,
    Party,
    check_certifiable,
    document_language,
    party_lines,
)


def test_a_partys_details_labelled_in_its_language() -> None:
    party = Party(
        "ООО Ромашка",  # noqa: RUF001
        tax_id="7701234567",
        registration_code="770101001",
        bank_code="044525225",
    )
    assert party_lines(party, "ru") == [
        "ООО Ромашка",  # noqa: RUF001
        "ИНН: 7701234567",
        "КПП: 770101001",
        "БИК: 044525225",
    ]
    assert party_lines(Party("Acme", tax_id="DE123"), "en") == ["Acme", "Tax ID: DE123"]


@pytest.mark.parametrize(
    ("asked", "chosen", "country", "language"),
    [
        ("en", "ru", "RU", "en"),
        (None, "en", "RU", "en"),
        (None, None, "ru", "ru"),
        (None, None, "DE", "en"),
        (None, None, None, "en"),
    ],
)
def test_the_document_language(
    asked: str | None, chosen: str | None, country: str | None, language: str
) -> None:
    assert document_language(asked, chosen, country) == language


@pytest.mark.parametrize("status", ["draft", "issued", "partially_paid", "overdue", "void"])
def test_only_a_paid_invoice_is_certified(status: str) -> None:
    check_certifiable("paid")
    with pytest.raises(NotCertifiable):
        check_certifiable(status)
