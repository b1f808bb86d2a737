"""What the billing documents print: the parties' legal and bank details, in Russian or
English, and when a certificate of completed work (акт выполненных работ) may be made: for
an invoice paid in full."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from services.billing.domain.invoices import PAID

Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
RUSSIAN_SPEAKING = frozenset({"RU", "BY", "KZ", "KG"})


class NotCertifiable(Exception):
    """No certificate of completed work for this invoice (a 409)."""


@dataclass(frozen=True)
class Party:
    """A seller or a buyer as a document names them."""

    name: str
    tax_id: str | None = None
    registration_code: str | None = None
    address: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    bank_code: str | None = None
    correspondent_account: str | None = None


LABELS: dict[Language, dict[str, str]] = {
    "ru": {
        "tax_id": "ИНН",
        "registration_code": "КПП",
        "address": "Адрес",
        "bank_name": "Банк",
        "bank_account": "Р/с",
        "bank_code": "БИК",
        "correspondent_account": "К/с",
        "act": "Акт выполненных работ № {number} от {date}",
        "invoice": "к счёту № {number} от {date}",
        "seller": "Исполнитель",
        "buyer": "Заказчик",
        "description": "Наименование работ, услуг",
        "quantity": "Кол-во",
        "price": "Цена",
        "net": "Сумма",
        "tax": "НДС",
        "subtotal": "Итого без НДС",
        "total": "Всего с НДС",
        "statement": "Вышеперечисленные работы (услуги) выполнены полностью и в срок. "
        "Заказчик претензий по объёму, качеству и срокам оказания услуг не имеет.",
        "signature": "подпись",
    },
    "en": {
        "tax_id": "Tax ID",
        "registration_code": "Registration code",
        "address": "Address",
        "bank_name": "Bank",
        "bank_account": "Account",
        "bank_code": "BIC/SWIFT",
        "correspondent_account": "Correspondent account",
        "act": "Certificate of completed work No. {number} of {date}",
        "invoice": "to invoice No. {number} of {date}",
        "seller": "Contractor",
        "buyer": "Customer",
        "description": "Work, services",
        "quantity": "Qty",
        "price": "Price",
        "net": "Amount",
        "tax": "Tax",
        "subtotal": "Subtotal",
        "total": "Total incl. tax",
        "statement": "The work (services) above was completed in full and on time. The "
        "customer has no claims as to its scope, quality or timing.",
        "signature": "signature",
    },
}
DETAILS = (
    "tax_id",
    "registration_code",
    "address",
    "bank_name",
    "bank_account",
    "bank_code",
    "correspondent_account",
)


def party_lines(party: Party, language: Language) -> list[str]:
    """The party's name, then each detail it has, labelled in ``language``."""
    labels = LABELS[language]
    lines = [party.name]
    for field in DETAILS:
        value = getattr(party, field)
        if value:
            lines.append(f"{labels[field]}: {value}")
    return lines


def document_language(asked: str | None, chosen: str | None, country: str | None) -> Language:
    """``?lang=`` when given, else the client's chosen language, else Russian for a client
    in a Russian-speaking country, English otherwise."""
    for value in (asked, chosen):
        if value in LANGUAGES:
            return value
    return "ru" if (country or "").upper() in RUSSIAN_SPEAKING else "en"


def check_certifiable(status: str) -> None:
    if status != PAID:
        raise NotCertifiable(
            f"the invoice is {status}: a certificate of completed work is made for a paid one"
        )
